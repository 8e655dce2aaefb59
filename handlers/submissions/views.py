"""Competition entries in chat: choosing the stage, the file or link asked for, the summary,
the receipt, and depa's view of who has submitted."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.context import Context
from bot.core.dates import countdown
from bot.core.replies import Choice, Choices, Text
from db.models import Deadline, Submission
from handlers.submissions.notices import entry_text
from handlers.submissions.payloads import Act, EntryPressed, StagePicked, StageReport
from handlers.submissions.service import (
    CityEntry,
    Entry,
    Proposal,
    Receipt,
    StageCounts,
)
from handlers.submissions.stages import OpenStage, SubmissionError


def error(ctx: Context, problem: SubmissionError) -> Text:
    """Why an entry or a step was refused, in the member's language."""
    details = dict(problem.details)
    if "closes" in details:
        details["due"] = ctx.when(details.pop("closes"))  # type: ignore[arg-type]
    if "organisation" in details:
        details["city"] = ctx.local(details.pop("organisation"), "name")
    max_mb = ctx.services.settings.citybot_media_max_mb
    return Text(text=ctx.t(f"submissions.errors.{problem.reason}", max_mb=max_mb, **details))


def due_and_countdown(ctx: Context, deadline: Deadline) -> dict[str, str]:
    """A stage's due time and what is left, as placeholders."""
    return {
        "due": ctx.when(deadline.due_at),
        "countdown": countdown(ctx.t, deadline.due_at, ctx.now, ctx.services.zone),
    }


def cancel_button(ctx: Context, deadline_id: int) -> Choice:
    """Cancel the entry being made."""
    payload = EntryPressed(deadline_id, Act.CANCEL).pack()
    return Choice(label=ctx.t("submissions.cancel"), payload=payload)


def choose_stage(ctx: Context, stages: Sequence[OpenStage]) -> Choices:
    """The open stages, numbered, a button each."""
    lines = [
        ctx.t(
            "submissions.stage_line",
            number=number,
            title=ctx.local(stage.deadline, "title"),
            **due_and_countdown(ctx, stage.deadline),
        )
        for number, stage in enumerate(stages, start=1)
    ]
    options = tuple(
        Choice(
            label=f"{number}. {ctx.local(stage.deadline, 'title')}",
            payload=StagePicked(stage.deadline.id).pack(),
        )
        for number, stage in enumerate(stages, start=1)
    )
    return Choices(text="\n".join([ctx.t("submissions.choose_stage"), *lines]), options=options)


def ask_content(ctx: Context, stage: OpenStage, current: Submission | None) -> Choices:
    """Send a file or type a link; late and replacing said first."""
    deadline = stage.deadline
    lines = [
        ctx.t(
            "submissions.ask_content",
            stage=ctx.local(deadline, "title"),
            max_mb=ctx.services.settings.citybot_media_max_mb,
            **due_and_countdown(ctx, deadline),
        )
    ]
    if stage.late_at(ctx.now):
        lines.append(ctx.t("submissions.late_warning"))
    if current is not None:
        lines.append(ctx.t("submissions.replaces", reference=current.reference))
    return Choices(text="\n".join(lines), options=(cancel_button(ctx, deadline.id),))


def summary(ctx: Context, stage: OpenStage, entry: Entry, *, executive: bool) -> Choices:
    """What will be handed in; confirm (an officer's goes to the executives) or cancel."""
    deadline = stage.deadline
    text = ctx.t(
        "submissions.summary",
        stage=ctx.local(deadline, "title"),
        content=entry_text(ctx.t, entry),
    )
    if stage.late_at(ctx.now):
        text += "\n" + ctx.t("submissions.late_warning")
    confirm = "submissions.confirm" if executive else "submissions.send_to_executive"
    options = (
        Choice(label=ctx.t(confirm), payload=EntryPressed(deadline.id, Act.CONFIRM).pack()),
        cancel_button(ctx, deadline.id),
    )
    return Choices(text=text, options=options)


def receipt(ctx: Context, stored: Receipt) -> Text:
    """The receipt: reference, stage, time, what was handed in; late and replaced said."""
    submission = stored.submission
    lines = [
        ctx.t(
            "submissions.receipt",
            reference=submission.reference,
            stage=ctx.local(stored.stage.deadline, "title"),
            when=ctx.when(submission.submitted_at),
            content=entry_text(ctx.t, Entry.of(submission)),
        )
    ]
    if submission.late:
        lines.append(ctx.t("submissions.receipt_late", due=ctx.when(stored.stage.deadline.due_at)))
    if stored.replaced is not None:
        lines.append(ctx.t("submissions.receipt_replaced", reference=stored.replaced.reference))
    return Text(text="\n".join(lines))


def prepared(ctx: Context, proposal: Proposal) -> Text:
    """An officer's entry sent to the executives."""
    city = ctx.local(proposal.organisation, "name")
    return Text(text=ctx.t("submissions.prepared", city=city, count=len(proposal.executives)))


def stages_overview(ctx: Context, counts: StageCounts) -> Choices:
    """depa: each stage taking entries with how many cities submitted, a button each."""
    stages, cities = counts.stages, counts.cities
    lines = [
        ctx.t(
            "submissions.list_stage_line",
            number=number,
            title=ctx.local(deadline, "title"),
            done=done,
            total=cities,
        )
        for number, (deadline, done) in enumerate(stages, start=1)
    ]
    options = tuple(
        Choice(
            label=f"{number}. {ctx.local(deadline, 'title')}",
            payload=StageReport(deadline.id).pack(),
        )
        for number, (deadline, _) in enumerate(stages, start=1)
    )
    return Choices(text="\n".join([ctx.t("submissions.list_choose"), *lines]), options=options)


def unknown_stage(ctx: Context, typed: str, counts: StageCounts) -> Text:
    """depa: no stage taking entries is called `typed`; the slugs there are."""
    slugs = ", ".join(deadline.slug for deadline, _ in counts.stages)
    return Text(text=ctx.t("submissions.unknown_stage", stage=typed, stages=slugs))


def stage_report(ctx: Context, deadline: Deadline, entries: Sequence[CityEntry]) -> Text:
    """depa: who submitted the stage (reference, time, late) and who has not."""
    handed = [entry for entry in entries if entry.submission is not None]
    lines = [
        ctx.t(
            "submissions.list_head",
            stage=ctx.local(deadline, "title"),
            done=len(handed),
            total=len(entries),
            due=ctx.when(deadline.due_at),
        )
    ]
    for entry in handed:
        assert entry.submission is not None
        key = "submissions.list_late" if entry.submission.late else "submissions.list_submitted"
        lines.append(
            ctx.t(
                key,
                city=ctx.local(entry.organisation, "name"),
                reference=entry.submission.reference,
                when=ctx.when(entry.submission.submitted_at),
            )
        )
    missing = [ctx.local(e.organisation, "name") for e in entries if e.submission is None]
    if missing:
        lines.append(ctx.t("submissions.list_missing", cities=", ".join(missing)))
    else:
        lines.append(ctx.t("submissions.list_all_in"))
    return Text(text="\n".join(lines))
