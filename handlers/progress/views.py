"""Progress's chat replies: a city's milestones, the update flow's questions, depa's overviews.

Long lists are text (every milestone with its state, every city with its standing) and the
buttons beneath them are short and numbered like the text, a page at a time: LINE's quick reply
takes 13 buttons, labels of 20 characters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.context import Context
from bot.core.payloads import Command, Payload
from bot.core.replies import MAX_CHOICES, Choice, Choices, Reply, Text
from bot.core.texts import shorten
from db.enums import MilestoneStatus
from db.models import Milestone, Organisation
from db.repositories.progress import MilestoneRow
from handlers.progress import service
from handlers.progress.draft import Draft, Step
from handlers.progress.payloads import (
    Act,
    CityPage,
    CityPicked,
    MilestonePage,
    PercentPicked,
    Pressed,
    StatusPicked,
    UpdateMilestone,
)
from handlers.progress.rules import MAX_NOTE_CHARS, PERCENT_STEPS, ProgressError, settle

PER_PAGE = 10  # buttons of milestones or cities a page, leaving room for paging and the rest
LABEL_CHARS = 40  # Telegram shows a button's label whole: keep it to a line
EXCERPT_CHARS = 200


# --- a city's milestones -----------------------------------------------------------------------


def status_words(ctx: Context, status: MilestoneStatus) -> str:
    """A status as people call it, with its sign."""
    return f"{ctx.t(f'progress.icon.{status.value}')} {ctx.t(f'milestone_status.{status.value}')}"


def due_words(ctx: Context, milestone: Milestone) -> str:
    """The due day, and days left, due today or days overdue (nothing to count once done)."""
    if milestone.due_at is None:
        return ctx.t("progress.no_due")
    day = ctx.day(milestone.due_at)
    if milestone.status is MilestoneStatus.DONE:
        return ctx.t("progress.due_done", day=day)
    left = service.days_left(milestone.due_at, ctx.now, ctx.services.zone)
    if left == 0:
        days = ctx.t("progress.due_today")
    elif abs(left) == 1:
        days = ctx.t("progress.days_left_one" if left > 0 else "progress.overdue_one")
    else:
        days = ctx.t("progress.days_left" if left > 0 else "progress.overdue", days=abs(left))
    return ctx.t("progress.due", day=day, days=days)


def updated_words(ctx: Context, row: MilestoneRow) -> str:
    """Who reported last, and when."""
    at = row.milestone.last_update_at
    if at is None:
        return ctx.t("progress.never_updated")
    who = row.updated_by or ctx.t("progress.someone")
    return ctx.t("progress.updated", who=who, when=ctx.when(at))


def city_text(ctx: Context, city: Organisation, rows: Sequence[MilestoneRow]) -> str:
    """The city's plans, each milestone numbered with its status, percent, due day and reporter."""
    (standing,) = service.summarise(rows, ctx.now)
    lines = [
        ctx.t(
            "progress.city_head",
            city=ctx.local(city, "name"),
            done=standing.done,
            total=standing.total,
            completion=standing.completion,
        )
    ]
    plan_id: int | None = None
    for number, row in enumerate(rows, start=1):
        if row.plan.id != plan_id:
            plan_id = row.plan.id
            lines += ["", ctx.t("progress.plan_head", plan=ctx.local(row.plan, "title"))]
        milestone = row.milestone
        lines.append(
            ctx.t(
                "progress.milestone",
                number=number,
                title=ctx.local(milestone, "title"),
                status=status_words(ctx, milestone.status),
                percent=milestone.percent,
                due=due_words(ctx, milestone),
                updated=updated_words(ctx, row),
            )
        )
    return "\n".join(lines)


def picker(
    ctx: Context, entries: Sequence[tuple[str, Payload]], page: int, to: Callable[[int], Payload]
) -> list[Choice]:
    """A page (kept in range) of named buttons, numbered as the list above them, with paging."""
    pages = max((len(entries) + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(max(page, 0), pages - 1)
    first = page * PER_PAGE
    options = [
        Choice(label=f"{number}. {shorten(name, LABEL_CHARS)}", payload=payload.pack())
        for number, (name, payload) in enumerate(entries[first : first + PER_PAGE], first + 1)
    ]
    if page + 1 < pages:
        options.append(Choice(label=ctx.t("progress.more"), payload=to(page + 1).pack()))
    if page > 0:
        options.append(Choice(label=ctx.t("progress.previous"), payload=to(page - 1).pack()))
    return options


def city_detail(
    ctx: Context, city: Organisation, rows: Sequence[MilestoneRow], page: int = 0
) -> list[Reply]:
    """For the city's team: every milestone as text, then a page of them as update buttons."""
    if not rows:
        return [Text(text=ctx.t("progress.no_plans", city=ctx.local(city, "name")))]
    entries = [
        (ctx.local(row.milestone, "title"), UpdateMilestone(row.milestone.id)) for row in rows
    ]
    options = picker(ctx, entries, page, MilestonePage)
    return [
        Text(text=city_text(ctx, city, rows)),
        Choices(text=ctx.t("progress.choose_milestone"), options=tuple(options)),
    ]


def city_for_depa(ctx: Context, city: Organisation, rows: Sequence[MilestoneRow]) -> list[Reply]:
    """For depa: the city's milestones to read, and the way back to every city."""
    if not rows:
        return [Text(text=ctx.t("progress.no_plans", city=ctx.local(city, "name")))]
    return [
        Text(text=city_text(ctx, city, rows)),
        Choices(text=ctx.t("progress.read_only"), options=depa_choices(ctx)),
    ]


def depa_choices(ctx: Context) -> tuple[Choice, ...]:
    """Every city, and the cities behind."""
    return (
        Choice(label=ctx.t("progress.all_cities"), payload=Command("progress").pack()),
        Choice(label=ctx.t("commands.behind.label"), payload=Command("behind").pack()),
    )


# --- updating one -------------------------------------------------------------------------------


def header(ctx: Context, milestone: Milestone) -> str:
    """The milestone being updated, and where it stands."""
    return ctx.t(
        "progress.header",
        milestone=ctx.local(milestone, "title"),
        status=status_words(ctx, milestone.status),
        percent=milestone.percent,
    )


def act(ctx: Context, milestone: Milestone, what: Act, key: str) -> Choice:
    """A flow button of this milestone's update."""
    return Choice(label=ctx.t(f"progress.{key}"), payload=Pressed(milestone.id, what).pack())


def ask_status(ctx: Context, milestone: Milestone, draft: Draft) -> Choices:
    """The first question: the status, four buttons (or typed)."""
    text = f"{header(ctx, milestone)}\n{ctx.t('progress.ask_status')}"
    if draft.status is not None:
        text += "\n" + ctx.t("progress.chosen", choice=status_words(ctx, draft.status))
    options = [
        Choice(label=status_words(ctx, status), payload=StatusPicked(milestone.id, status).pack())
        for status in MilestoneStatus
    ]
    return Choices(text=text, options=(*options, act(ctx, milestone, Act.CANCEL, "cancel")))


def ask_percent(ctx: Context, milestone: Milestone, draft: Draft) -> Choices:
    """How far: 25/50/75/100 % (and what was chosen before), or a number typed."""
    steps = list(PERCENT_STEPS)
    if draft.percent is not None and draft.percent not in steps:
        steps.insert(0, draft.percent)
    options = [
        Choice(label=f"{percent}%", payload=PercentPicked(milestone.id, percent).pack())
        for percent in steps
    ]
    return Choices(
        text=ctx.t("progress.ask_percent", milestone=ctx.local(milestone, "title")),
        options=(*options, act(ctx, milestone, Act.CANCEL, "cancel")),
    )


def ask_note(ctx: Context, milestone: Milestone, draft: Draft) -> Choices:
    """A note, typed; skipped, or kept from before an edit."""
    text = ctx.t("progress.ask_note", limit=f"{MAX_NOTE_CHARS:,}")
    options = [act(ctx, milestone, Act.SKIP_NOTE, "skip")]
    if draft.note is not None:
        text += "\n" + ctx.t("progress.current_note", note=shorten(draft.note, EXCERPT_CHARS))
        options.insert(0, act(ctx, milestone, Act.KEEP_NOTE, "keep"))
    return Choices(text=text, options=(*options, act(ctx, milestone, Act.CANCEL, "cancel")))


def ask_evidence(ctx: Context, milestone: Milestone, draft: Draft) -> Choices:
    """Evidence: a photo or file sent, a link typed; skipped, or kept from before an edit."""
    text = ctx.t("progress.ask_evidence", max_mb=ctx.services.settings.citybot_media_max_mb)
    options = [act(ctx, milestone, Act.SKIP_EVIDENCE, "skip")]
    if draft.has_evidence:
        text += "\n" + ctx.t("progress.current_evidence", evidence=evidence_words(ctx, draft))
        options.insert(0, act(ctx, milestone, Act.KEEP_EVIDENCE, "keep"))
    return Choices(text=text, options=(*options, act(ctx, milestone, Act.CANCEL, "cancel")))


def evidence_words(ctx: Context, draft: Draft) -> str:
    """The evidence given: the link, or the kind and size of the file; a dash for none."""
    if draft.file is not None:
        kilobytes = max(round(draft.file.size / 1024), 1)
        return ctx.t("progress.evidence_file", type=draft.file.content_type, size=f"{kilobytes:,}")
    return draft.link or ctx.t("progress.none")


def summary(ctx: Context, milestone: Milestone, draft: Draft) -> Choices:
    """What will be saved, old → new, with Confirm / Edit / Cancel."""
    report = settle(draft.status, draft.percent, milestone)
    text = ctx.t(
        "progress.summary",
        milestone=ctx.local(milestone, "title"),
        before=status_words(ctx, milestone.status),
        before_percent=milestone.percent,
        after=status_words(ctx, report.status),
        after_percent=report.percent,
        note=shorten(draft.note, EXCERPT_CHARS) if draft.note else ctx.t("progress.none"),
        evidence=evidence_words(ctx, draft),
    )
    options = (
        act(ctx, milestone, Act.CONFIRM, "confirm"),
        act(ctx, milestone, Act.EDIT, "edit"),
        act(ctx, milestone, Act.CANCEL, "cancel"),
    )
    return Choices(text=text, options=options)


def heard(ctx: Context, milestone: Milestone, draft: Draft) -> Choices:
    """A report read from plain words, to confirm: "บันทึก: … — กำลังดำเนินการ 60% ใช่ไหม"."""
    report = settle(draft.status, draft.percent, milestone)
    text = ctx.t(
        "progress.heard",
        milestone=ctx.local(milestone, "title"),
        status=status_words(ctx, report.status),
        percent=report.percent,
    )
    options = (
        act(ctx, milestone, Act.CONFIRM, "confirm"),
        act(ctx, milestone, Act.EDIT, "change"),
        act(ctx, milestone, Act.CANCEL, "cancel"),
    )
    return Choices(text=text, options=options)


def which_milestone(ctx: Context, city: Organisation, rows: Sequence[MilestoneRow]) -> list[Reply]:
    """A report heard without its milestone: the city's milestones to pick it from."""
    return [Text(text=ctx.t("progress.heard_which")), *city_detail(ctx, city, rows)]


QUESTIONS: dict[Step, Callable[[Context, Milestone, Draft], Choices]] = {
    Step.STATUS: ask_status,
    Step.PERCENT: ask_percent,
    Step.NOTE: ask_note,
    Step.EVIDENCE: ask_evidence,
    Step.CONFIRM: summary,
}


def question(ctx: Context, step: Step, milestone: Milestone, draft: Draft) -> Choices:
    """What `step` asks."""
    return QUESTIONS[step](ctx, milestone, draft)


def saved(ctx: Context, change: service.Change) -> Choices:
    """The update is in; the team hears of it."""
    update = change.update
    text = ctx.t(
        "progress.saved",
        milestone=ctx.local(change.milestone, "title"),
        status=status_words(ctx, update.status),
        percent=update.percent,
    )
    again = Choice(label=ctx.t("progress.update_another"), payload=Command("progress").pack())
    return Choices(text=text, options=(again,))


def error(ctx: Context, problem: ProgressError) -> Text:
    """Why a report, a file or a choice cannot be taken, in the member's language."""
    details = dict(problem.details)
    details.setdefault("max_mb", ctx.services.settings.citybot_media_max_mb)
    if isinstance(details.get("limit"), int):
        details["limit"] = f"{details['limit']:,}"
    return Text(text=ctx.t(f"progress.errors.{problem.reason}", **details))


# --- depa's views -------------------------------------------------------------------------------


def last_words(ctx: Context, city: service.CitySummary) -> str:
    """How long ago the city last reported."""
    if city.days_silent is None:
        return ctx.t("progress.never_reported")
    if city.days_silent == 0:
        return ctx.t("progress.reported_today")
    if city.days_silent == 1:
        return ctx.t("progress.reported_one_day_ago")
    return ctx.t("progress.reported_days_ago", days=city.days_silent)


def overview(ctx: Context, cities: Sequence[service.CitySummary], page: int) -> list[Reply]:
    """Every city ranked by completion as text; a page of them as buttons to see one."""
    if not cities:
        return [Text(text=ctx.t("progress.no_cities"))]
    lines = [ctx.t("progress.overview_head", count=len(cities))]
    for rank, city in enumerate(cities, start=1):
        lines.append(
            ctx.t(
                "progress.overview_line",
                rank=rank,
                city=ctx.local(city.organisation, "name"),
                done=city.done,
                total=city.total,
                completion=city.completion,
                overdue=city.overdue,
                last=last_words(ctx, city),
            )
        )
    entries = [
        (ctx.local(city.organisation, "name"), CityPicked(city.organisation.id)) for city in cities
    ]
    options = [*picker(ctx, entries, page, CityPage), depa_choices(ctx)[1]]
    return [
        Text(text="\n".join(lines)),
        Choices(text=ctx.t("progress.choose_city"), options=tuple(options)),
    ]


def behind(ctx: Context, cities: Sequence[service.BehindCity]) -> list[Reply]:
    """The cities behind, and why: overdue milestones by name, days without a report."""
    if not cities:
        return [Text(text=ctx.t("progress.behind_none", days=service.SILENT_DAYS))]
    lines = [ctx.t("progress.behind_head", count=len(cities), days=service.SILENT_DAYS)]
    for city in cities:
        lines += ["", ctx.t("progress.behind_city", city=ctx.local(city.organisation, "name"))]
        if city.overdue:
            names = ", ".join(ctx.local(milestone, "title") for milestone in city.overdue)
            lines.append(ctx.t("progress.behind_overdue", count=len(city.overdue), names=names))
        if city.silent_days is not None:
            lines.append(ctx.t("progress.behind_silent", days=city.silent_days))
    options = [
        Choice(
            label=shorten(ctx.local(city.organisation, "name"), LABEL_CHARS),
            payload=CityPicked(city.organisation.id).pack(),
        )
        for city in cities[: MAX_CHOICES - 1]
    ]
    options.append(depa_choices(ctx)[0])
    return [
        Text(text="\n".join(lines)),
        Choices(text=ctx.t("progress.choose_city"), options=tuple(options)),
    ]
