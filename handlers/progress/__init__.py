"""Progress on plan milestones in chat: a city's plans, updating a milestone, depa's overviews.

The feature's router: routes and who may use them. City members (executives, officers) read and
update their own city's milestones; depa (coordinators, admins) read every city's, and who is
behind; partners see no city's progress. Use cases are in `service.py` (which `citybot progress`
calls too), replies in `views.py`, the update being made in `draft.py`, what members type or
send in `typed.py`, the flow's diagram in `flow.mmd`. Nothing is saved before the summary is
confirmed, and any command amid an update ends it, saying so (`Router.abandons`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.core.authz import CITY_TEAM, DEPA_STAFF
from bot.core.context import Context
from bot.core.events import Event, FileReceived, TextReceived
from bot.core.replies import Reply, Text
from bot.core.router import Router
from db.enums import MilestoneStatus, OrganisationKind
from db.models import Milestone, Organisation, Plan
from handlers.progress import service, views
from handlers.progress.draft import FLOW, FLOW_TTL, SETTLED, Draft, Step
from handlers.progress.heard import picked_for_heard
from handlers.progress.notices import ChatNotices
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
from handlers.progress.rules import (
    ProgressError,
    check_link,
    check_note,
    check_percent,
    parse_percent,
)
from handlers.progress.typed import find_city, keep_file, read_status, wanted_row

router = Router("progress")
router.abandons(FLOW, "progress.abandoned")


async def own_city(ctx: Context) -> Organisation:
    """The sender's city."""
    assert ctx.member is not None  # the routes are for city members
    return await ctx.session.get_one(Organisation, ctx.member.organisation_id)


# --- a city's milestones -----------------------------------------------------------------------


async def show_city(ctx: Context, page: int) -> list[Reply]:
    """The sender's city's milestones, with update buttons."""
    city = await own_city(ctx)
    rows = await service.city_milestones(session=ctx.session, organisation_id=city.id)
    return views.city_detail(ctx, city, rows, page)


@router.command("progress", access=CITY_TEAM)
async def city_progress(_event: Event, ctx: Context) -> list[Reply]:
    """`/progress`: the city's plans; `/progress 3` or `/progress KEY` updates that milestone."""
    if not ctx.args.strip():
        return await show_city(ctx, 0)
    city = await own_city(ctx)
    rows = await service.city_milestones(session=ctx.session, organisation_id=city.id)
    row = wanted_row(rows, ctx.args)
    if row is None:
        problem = ProgressError("unknown_milestone", key=ctx.args.strip()[:80])
        return [views.error(ctx, problem), *views.city_detail(ctx, city, rows)]
    return await start(ctx, row.milestone)


@router.choice(MilestonePage, access=CITY_TEAM)
async def milestone_page(pressed: MilestonePage, ctx: Context) -> list[Reply]:
    """Another page of the milestone buttons."""
    return await show_city(ctx, pressed.page)


@router.choice(UpdateMilestone, access=CITY_TEAM)
async def update_pressed(pressed: UpdateMilestone, ctx: Context) -> list[Reply]:
    """A milestone chosen: its update starts, if it is the sender's city's."""
    assert ctx.member is not None
    milestone = await ctx.session.get(Milestone, pressed.milestone_id)
    if milestone is None:
        problem = ProgressError("unknown_milestone", key=str(pressed.milestone_id))
        return [views.error(ctx, problem)]
    plan = await ctx.session.get_one(Plan, milestone.plan_id)
    if plan.organisation_id != ctx.member.organisation_id:
        city = await own_city(ctx)
        return [views.error(ctx, ProgressError("not_your_city", city=ctx.local(city, "name")))]
    return await picked_for_heard(ctx, milestone) or await start(ctx, milestone)


# --- the update flow ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Update:
    """The update the sender is making: where they are, what they chose, of which milestone."""

    step: Step
    draft: Draft
    milestone: Milestone


async def current(ctx: Context, milestone_id: int | None = None) -> Update | None:
    """The sender's update (of `milestone_id`, for a button); None once over or for another.

    An update that cannot go on (its data unreadable, or its milestone no longer the member's
    city's) is ended here; a button of an earlier update leaves the current one alone.
    """
    assert ctx.member is not None
    step = next((s for s in Step if ctx.state.at(s)), None)
    if step is None:
        return None
    draft = Draft.from_data(ctx.state.data)
    try:
        if draft is None:
            raise ProgressError("unknown_milestone", key="")
        milestone = await service.milestone_of(
            session=ctx.session,
            organisation_id=ctx.member.organisation_id,
            milestone_id=draft.milestone_id,
        )
    except ProgressError:
        await ctx.state.clear()
        return None
    if milestone_id is not None and draft.milestone_id != milestone_id:
        return None
    return Update(step, draft, milestone)


async def stale(ctx: Context) -> list[Reply]:
    """A button, or an answer, of an update that is over (saved, cancelled or expired)."""
    return [Text(text=ctx.t("progress.stale"))]


async def go(ctx: Context, step: Step, milestone: Milestone, draft: Draft) -> list[Reply]:
    """Move the update to `step` (for another 30 minutes) and ask what it asks."""
    await ctx.state.go(step, draft.data(), ttl=FLOW_TTL)
    return [views.question(ctx, step, milestone, draft)]


async def again(ctx: Context, update: Update, problem: ProgressError | None = None) -> list[Reply]:
    """The same step asked again, after what was wrong with the answer."""
    said = [views.error(ctx, problem)] if problem is not None else []
    return [*said, *await go(ctx, update.step, update.milestone, update.draft)]


async def start(ctx: Context, milestone: Milestone) -> list[Reply]:
    """A new update of `milestone`, asking for its status."""
    return await go(ctx, Step.STATUS, milestone, Draft(milestone_id=milestone.id))


# What an answer makes of the draft: the step it leads to, and the draft then.
Move = Callable[[Draft], tuple[Step, Draft]]


async def answer(ctx: Context, update: Update | None, at: Step, move: Move) -> list[Reply]:
    """Take an answer given at step `at`: on to the step it leads to, or `at` asked again.

    Again, saying why, when the answer cannot be taken; again, silently, for a button of a step
    the update has left (pressed twice, or scrolled back to).
    """
    if update is None:
        return await stale(ctx)
    if update.step is not at:
        return await again(ctx, update)
    try:
        step, draft = move(update.draft)
    except ProgressError as problem:
        return await again(ctx, update, problem)
    return await go(ctx, step, update.milestone, draft)


def status_move(status: MilestoneStatus) -> Move:
    """A status; the percent next, unless the status decides it (done, not started)."""
    return lambda draft: (
        Step.NOTE if status in SETTLED else Step.PERCENT,
        draft.with_status(status),
    )


def percent_move(percent: int) -> Move:
    """A percent (checked: a made-up button may say anything); the note next."""
    return lambda draft: (Step.NOTE, replace(draft, percent=check_percent(percent)))


# The flow's buttons but confirm and cancel: the step each answers, and what it does.
MOVES: dict[Act, tuple[Step, Move]] = {
    Act.SKIP_NOTE: (Step.NOTE, lambda draft: (Step.EVIDENCE, replace(draft, note=None))),
    Act.KEEP_NOTE: (Step.NOTE, lambda draft: (Step.EVIDENCE, draft)),
    Act.SKIP_EVIDENCE: (Step.EVIDENCE, lambda draft: (Step.CONFIRM, draft.with_evidence())),
    Act.KEEP_EVIDENCE: (Step.EVIDENCE, lambda draft: (Step.CONFIRM, draft)),
    Act.EDIT: (Step.CONFIRM, lambda draft: (Step.STATUS, draft)),
}


@router.choice(StatusPicked, access=CITY_TEAM)
async def status_pressed(pressed: StatusPicked, ctx: Context) -> list[Reply]:
    """A status button."""
    update = await current(ctx, pressed.milestone_id)
    return await answer(ctx, update, Step.STATUS, status_move(pressed.status))


@router.step(Step.STATUS, access=CITY_TEAM)
async def status_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """A status typed instead of pressed: `done`, `กำลังดำเนินการ`…"""
    return await answer(
        ctx,
        await current(ctx),
        Step.STATUS,
        lambda draft: status_move(read_status(ctx.services.texts, event.text))(draft),
    )


@router.choice(PercentPicked, access=CITY_TEAM)
async def percent_pressed(pressed: PercentPicked, ctx: Context) -> list[Reply]:
    """25/50/75/100 %."""
    update = await current(ctx, pressed.milestone_id)
    return await answer(ctx, update, Step.PERCENT, percent_move(pressed.percent))


@router.step(Step.PERCENT, access=CITY_TEAM)
async def percent_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """A percent typed: `60`, `60%`, `๖๐`, `ร้อยละ 60`."""
    return await answer(
        ctx,
        await current(ctx),
        Step.PERCENT,
        lambda draft: percent_move(parse_percent(event.text))(draft),
    )


@router.step(Step.NOTE, access=CITY_TEAM)
async def note_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """The note; evidence next."""
    return await answer(
        ctx,
        await current(ctx),
        Step.NOTE,
        lambda draft: (Step.EVIDENCE, replace(draft, note=check_note(event.text))),
    )


@router.step(Step.EVIDENCE, access=CITY_TEAM)
async def link_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """A link as evidence; the summary next."""
    return await answer(
        ctx,
        await current(ctx),
        Step.EVIDENCE,
        lambda draft: (Step.CONFIRM, draft.with_evidence(link=check_link(event.text))),
    )


@router.event(FileReceived, access=CITY_TEAM, steps=tuple(Step))
async def file_sent(event: FileReceived, ctx: Context) -> list[Reply]:
    """A photo or file as evidence; at another step of the update, the step is asked again."""
    update = await current(ctx)
    if update is None:
        return await stale(ctx)
    if update.step is not Step.EVIDENCE:
        return [Text(text=ctx.t("progress.file_not_now")), *await again(ctx, update)]
    try:
        file = await keep_file(ctx, event, await own_city(ctx))
    except ProgressError as problem:
        return await again(ctx, update, problem)
    return await go(ctx, Step.CONFIRM, update.milestone, update.draft.with_evidence(file=file))


@router.step(Step.CONFIRM, access=CITY_TEAM)
async def summary_typed(_event: TextReceived, ctx: Context) -> list[Reply]:
    """Typing at the summary shows it again: the buttons decide."""
    update = await current(ctx)
    return await stale(ctx) if update is None else await again(ctx, update)


@router.choice(Pressed, access=CITY_TEAM)
async def pressed(pressed: Pressed, ctx: Context) -> list[Reply]:
    """Skip, keep, confirm, edit, cancel: each at the step that offered it."""
    update = await current(ctx, pressed.milestone_id)
    if update is None:
        return await stale(ctx)
    if pressed.act is Act.CANCEL:
        await ctx.state.clear()
        return [Text(text=ctx.t("progress.cancelled"))]
    if pressed.act is not Act.CONFIRM:
        return await answer(ctx, update, *MOVES[pressed.act])
    if update.step is not Step.CONFIRM:
        return await again(ctx, update)
    return await confirm(ctx, update)


async def confirm(ctx: Context, update: Update) -> list[Reply]:
    """Save the update as one report; the team, and depa if it is blocked, hear of it."""
    outreach = service.Outreach.pushing(ctx.services, ChatNotices(ctx.services.zone))
    try:
        change = await service.record_update(
            session=ctx.session,
            organisation=await own_city(ctx),
            milestone=update.milestone,
            status=update.draft.status,
            percent=update.draft.percent,
            note=update.draft.note,
            evidence=update.draft.evidence(),
            author=ctx.member,
            identity_id=ctx.identity.id,
            channel=ctx.identity.channel,
            now=ctx.now,
            outreach=outreach,
            via=ctx.identity.channel.value,
        )
    except ProgressError as problem:
        return await again(ctx, update, problem)
    await ctx.state.clear()
    return [views.saved(ctx, change)]


# --- depa: every city, and who is behind --------------------------------------------------------


async def show_overview(ctx: Context, page: int) -> list[Reply]:
    """Every city ranked by completion."""
    return views.overview(ctx, await service.overview(session=ctx.session, now=ctx.now), page)


async def show_city_to_depa(ctx: Context, city: Organisation) -> list[Reply]:
    """One city's milestones, read-only."""
    rows = await service.city_milestones(session=ctx.session, organisation_id=city.id)
    return views.city_for_depa(ctx, city, rows)


@router.command("progress", access=DEPA_STAFF)
async def overview(_event: Event, ctx: Context) -> list[Reply]:
    """`/progress`: every city ranked; `/progress CITY` (name or slug) that city's detail."""
    if not ctx.args.strip():
        return await show_overview(ctx, 0)
    summaries = await service.overview(session=ctx.session, now=ctx.now)
    city = find_city(ctx.args, [summary.organisation for summary in summaries])
    if city is None:
        problem = ProgressError("unknown_org", org=ctx.args.strip()[:60])
        return [views.error(ctx, problem), *views.overview(ctx, summaries, 0)]
    return await show_city_to_depa(ctx, city)


@router.choice(CityPage, access=DEPA_STAFF)
async def city_page(pressed: CityPage, ctx: Context) -> list[Reply]:
    """Another page of the overview's city buttons."""
    return await show_overview(ctx, pressed.page)


@router.choice(CityPicked, access=DEPA_STAFF)
async def city_picked(pressed: CityPicked, ctx: Context) -> list[Reply]:
    """A city from the overview or the behind list."""
    city = await ctx.session.get(Organisation, pressed.organisation_id)
    if city is None or city.kind is not OrganisationKind.CITY:
        problem = ProgressError("unknown_org", org=str(pressed.organisation_id))
        return [views.error(ctx, problem)]
    return await show_city_to_depa(ctx, city)


@router.command("behind", access=DEPA_STAFF)
async def behind(_event: Event, ctx: Context) -> list[Reply]:
    """`/behind`: cities with an overdue milestone or silent for 14 days, and why."""
    return views.behind(ctx, await service.behind(session=ctx.session, as_of=ctx.now))
