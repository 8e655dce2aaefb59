"""Competition entries in chat: `/submit` (ส่งงาน, ส่งแผน) and depa's `/submissions STAGE`.

A city's executives and officers pick an open stage, send a PDF, Word or Excel file (or type an
http(s) link; only its form is checked, the bot never fetches it) and confirm. An executive's
entry is stored at once and answered with a receipt; an officer's goes to the city's executives,
whose Submit button stores it as prepared by the officer. Always for the sender's own city.
Partners and depa are told who submits. depa's coordinators and admins see per stage who has
submitted. Use cases in `service.py`, replies in `views.py`, notices in `notices.py`, the
flow's diagram in `flow.mmd`; any command amid an entry ends it, saying so (`Router.abandons`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.core.authz import CITY_TEAM, DEPA_STAFF, roles
from bot.core.context import Context
from bot.core.events import Event, FileReceived, TextReceived
from bot.core.media import DOCX, XLSX, MediaKind
from bot.core.received import FileRefused, keep_sent_file
from bot.core.replies import Reply, Text
from bot.core.router import Router
from db.enums import Role, SubmissionKind
from db.models import Deadline, Organisation
from handlers.submissions import service, stages, views
from handlers.submissions.draft import FLOW, FLOW_TTL, Draft, Step
from handlers.submissions.notices import ChatNotices
from handlers.submissions.payloads import Act, Decided, EntryPressed, StagePicked, StageReport
from handlers.submissions.service import Entry, Sender
from handlers.submissions.stages import OpenStage, SubmissionError

# The file types an entry may be: PDF, Word and Excel (not PowerPoint, not images).
ENTRY_TYPES = frozenset({"application/pdf", DOCX, XLSX})
NOT_CITIES = roles(Role.PARTNER, Role.COORDINATOR, Role.ADMIN)

router = Router("submissions")
router.abandons(FLOW, "submissions.abandoned")


def outreach(ctx: Context) -> service.Outreach:
    """Where this event's notices go."""
    return service.Outreach.pushing(ctx.services, ChatNotices(ctx.services.zone))


def sender(ctx: Context) -> Sender:
    """The member making the entry, on this chat account."""
    assert ctx.member is not None  # the routes are for city members
    return Sender(member=ctx.member, identity_id=ctx.identity.id, channel=ctx.identity.channel)


def is_executive(ctx: Context) -> bool:
    """Whether the sender submits themselves (an officer's entry goes to the executives)."""
    return ctx.member is not None and ctx.member.role is Role.EXECUTIVE


# --- choosing the stage ------------------------------------------------------------------------


@router.command("submit", access=CITY_TEAM)
async def submit_command(_event: Event, ctx: Context) -> list[Reply]:
    """`/submit`: the open stages; `/submit 2` or `/submit concept-note` goes straight there."""
    try:
        if ctx.args.strip():
            stage = await stages.find_stage(session=ctx.session, typed=ctx.args, now=ctx.now)
            return await start(ctx, stage)
        open_ones = await stages.require_open(session=ctx.session, now=ctx.now)
    except SubmissionError as problem:
        return await refused(ctx, problem)
    return [views.choose_stage(ctx, open_ones)]


@router.command("submit", access=NOT_CITIES)
async def not_a_city(_event: Event, ctx: Context) -> list[Reply]:
    """Partners and depa do not submit: say who does."""
    return [Text(text=ctx.t("submissions.city_only"))]


async def refused(ctx: Context, problem: SubmissionError) -> list[Reply]:
    """The refusal; for a stage that cannot be found or taken, the open ones to choose from."""
    said: list[Reply] = [views.error(ctx, problem)]
    if problem.reason in {"unknown_stage", "not_accepting"}:
        open_ones = await stages.open_stages(session=ctx.session, now=ctx.now)
        if open_ones:
            said.append(views.choose_stage(ctx, open_ones))
    return said


@router.choice(StagePicked, access=CITY_TEAM)
async def stage_picked(pressed: StagePicked, ctx: Context) -> list[Reply]:
    """A stage button."""
    try:
        stage = await stages.open_stage(
            session=ctx.session, deadline_id=pressed.deadline_id, now=ctx.now
        )
    except SubmissionError as problem:
        return await refused(ctx, problem)
    return await start(ctx, stage)


async def start(ctx: Context, stage: OpenStage) -> list[Reply]:
    """Ask for the stage's file or link (saying if it is late, or replaces an entry)."""
    assert ctx.member is not None
    await ctx.state.go(Step.CONTENT, Draft(stage.deadline.id).data(), ttl=FLOW_TTL)
    current = await service.current_entry(
        session=ctx.session,
        organisation_id=ctx.member.organisation_id,
        deadline_id=stage.deadline.id,
    )
    return [views.ask_content(ctx, stage, current)]


# --- the file or link ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Making:
    """The entry the sender is making: where they are, the draft, its stage (still open)."""

    step: Step
    draft: Draft
    stage: OpenStage


async def current(ctx: Context, deadline_id: int | None = None) -> Making | SubmissionError | None:
    """The sender's entry (for a button: of `deadline_id`); None once over or for another.

    A stage that closed meanwhile ends the entry and is returned as the refusal to say.
    """
    step = next((s for s in Step if ctx.state.at(s)), None)
    draft = Draft.from_data(ctx.state.data) if step is not None else None
    if step is None or draft is None:
        return None
    if deadline_id is not None and draft.deadline_id != deadline_id:
        return None
    try:
        stage = await stages.open_stage(
            session=ctx.session, deadline_id=draft.deadline_id, now=ctx.now
        )
    except SubmissionError as problem:
        await ctx.state.clear()
        return problem
    return Making(step, draft, stage)


async def stale(ctx: Context, found: SubmissionError | None) -> list[Reply]:
    """A button or answer of an entry that is over, or whose stage closed meanwhile."""
    if found is not None:
        return [views.error(ctx, found)]
    return [Text(text=ctx.t("submissions.stale"))]


async def to_summary(ctx: Context, making: Making, entry: Entry) -> list[Reply]:
    """The file or link taken: the summary, to confirm."""
    draft = replace(making.draft, entry=entry)
    await ctx.state.go(Step.CONFIRM, draft.data(), ttl=FLOW_TTL)
    return [views.summary(ctx, making.stage, entry, executive=is_executive(ctx))]


async def ask_again(ctx: Context, making: Making, problem: SubmissionError) -> list[Reply]:
    """What was wrong, and the same question again."""
    return [views.error(ctx, problem), *await start(ctx, making.stage)]


@router.step(Step.CONTENT, Step.CONFIRM, access=CITY_TEAM)
async def link_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """A link as the entry; at the summary, typing shows the summary again."""
    making = await current(ctx)
    if not isinstance(making, Making):
        return await stale(ctx, making)
    if making.step is Step.CONFIRM and making.draft.entry is not None:
        entry, executive = making.draft.entry, is_executive(ctx)
        return [views.summary(ctx, making.stage, entry, executive=executive)]
    try:
        link = stages.check_link(event.text)
    except SubmissionError as problem:
        return await ask_again(ctx, making, problem)
    return await to_summary(ctx, making, Entry(kind=SubmissionKind.LINK, url=link))


@router.event(FileReceived, access=CITY_TEAM, steps=tuple(Step))
async def file_sent(event: FileReceived, ctx: Context) -> list[Reply]:
    """A PDF, Word or Excel file as the entry, kept under the media directory."""
    making = await current(ctx)
    if not isinstance(making, Making):
        return await stale(ctx, making)
    if making.step is not Step.CONTENT:
        return [Text(text=ctx.t("submissions.file_not_now"))]
    city = await ctx.session.get_one(Organisation, sender(ctx).member.organisation_id)
    try:
        stored = await keep_sent_file(
            ctx.services,
            event,
            folder=f"submissions/{city.slug}",
            accept={MediaKind.DOCUMENT},
            only=ENTRY_TYPES,
        )
    except FileRefused as refusal:
        return await ask_again(ctx, making, SubmissionError(refusal.reason))
    entry = Entry(
        kind=SubmissionKind.FILE,
        file_path=stored.path,
        file_type=stored.content_type,
        file_bytes=stored.size,
        file_name=(event.file_name or "")[:255] or None,
    )
    return await to_summary(ctx, making, entry)


# --- confirming ---------------------------------------------------------------------------------


@router.choice(EntryPressed, access=CITY_TEAM)
async def entry_pressed(pressed: EntryPressed, ctx: Context) -> list[Reply]:
    """Confirm (an executive's is stored, an officer's goes to the executives) or cancel."""
    making = await current(ctx, pressed.deadline_id)
    if not isinstance(making, Making):
        return await stale(ctx, making)
    if pressed.act is Act.CANCEL:
        await ctx.state.clear()
        return [Text(text=ctx.t("submissions.cancelled"))]
    entry = making.draft.entry
    if making.step is not Step.CONFIRM or entry is None:
        return await start(ctx, making.stage)
    try:
        if is_executive(ctx):
            receipt = await service.submit(
                session=ctx.session,
                stage=making.stage,
                entry=entry,
                sender=sender(ctx),
                now=ctx.now,
                outreach=outreach(ctx),
            )
            reply: Reply = views.receipt(ctx, receipt)
        else:
            proposal = await service.prepare(
                session=ctx.session,
                stage=making.stage,
                entry=entry,
                sender=sender(ctx),
                now=ctx.now,
                outreach=outreach(ctx),
            )
            reply = views.prepared(ctx, proposal)
    except SubmissionError as problem:
        await ctx.state.clear()
        return [views.error(ctx, problem)]
    await ctx.state.clear()
    return [reply]


@router.choice(Decided, access=roles(Role.EXECUTIVE))
async def decided(pressed: Decided, ctx: Context) -> list[Reply]:
    """An executive submits or rejects an officer's entry."""
    assert ctx.member is not None
    try:
        decision = await service.decide(
            session=ctx.session,
            prepared_id=pressed.prepared_id,
            executive=ctx.member,
            approve=pressed.approve,
            now=ctx.now,
            outreach=outreach(ctx),
        )
    except SubmissionError as problem:
        return [views.error(ctx, problem)]
    if decision.receipt is None:
        return [Text(text=ctx.t("submissions.rejected"))]
    return [views.receipt(ctx, decision.receipt)]


# --- depa: who has submitted -------------------------------------------------------------------


@router.command("submissions", access=DEPA_STAFF)
async def submissions(_event: Event, ctx: Context) -> list[Reply]:
    """`/submissions`: each stage's count; `/submissions STAGE` (slug or number) its cities."""
    counts = await service.stages_taking_entries(session=ctx.session)
    listed = [deadline for deadline, _ in counts.stages]
    wanted = ctx.args.strip().casefold()
    if not wanted:
        return [views.stages_overview(ctx, counts)]
    if wanted.isdecimal() and 1 <= int(wanted) <= len(listed):
        return await report(ctx, listed[int(wanted) - 1])
    found = next((deadline for deadline in listed if deadline.slug == wanted), None)
    if found is None:
        unknown = views.unknown_stage(ctx, ctx.args.strip()[:60], counts)
        return [unknown, views.stages_overview(ctx, counts)]
    return await report(ctx, found)


@router.choice(StageReport, access=DEPA_STAFF)
async def stage_report(pressed: StageReport, ctx: Context) -> list[Reply]:
    """A stage button of the overview."""
    deadline = await ctx.session.get(Deadline, pressed.deadline_id)
    if deadline is None:  # the stage was removed from content since the button was sent
        counts = await service.stages_taking_entries(session=ctx.session)
        unknown = views.unknown_stage(ctx, str(pressed.deadline_id), counts)
        return [unknown, views.stages_overview(ctx, counts)]
    return await report(ctx, deadline)


async def report(ctx: Context, deadline: Deadline) -> list[Reply]:
    """Who has submitted the stage, and who not yet."""
    entries = await service.stage_report(session=ctx.session, deadline=deadline)
    return [views.stage_report(ctx, deadline, entries)]
