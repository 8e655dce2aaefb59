"""Reports typed in plain words ("แผนยุทธศาสตร์ร่างไปได้ 60% แล้ว"), as the understanding
read them: the same update as the guided flow, at its summary, saved only on Confirm.

A report naming its milestone goes straight to a one-line confirmation (Confirm / Change /
Cancel); Change walks the guided steps with what was heard kept. A report naming none asks for
the milestone first, with the city's milestone buttons, keeping what was heard in the state.
"""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.replies import Reply
from db.enums import MilestoneStatus
from db.models import Milestone, Organisation
from handlers.progress import service, views
from handlers.progress.draft import FLOW_TTL, Draft, Heard, Step
from handlers.progress.rules import ProgressError


def _heard_data(status: MilestoneStatus | None, percent: int | None) -> dict[str, Any]:
    return {"status": status.value if status is not None else None, "percent": percent}


def _draft(milestone: Milestone, data: dict[str, Any]) -> Draft | None:
    """The draft of a heard report for `milestone`; None if the state holds something else."""
    return Draft.from_data({**data, "milestone_id": milestone.id})


async def confirm_heard(ctx: Context, milestone: Milestone, draft: Draft) -> list[Reply]:
    """The heard report at the update's summary step, asking to confirm it."""
    await ctx.state.go(Step.CONFIRM, draft.data(), ttl=FLOW_TTL)
    return [views.heard(ctx, milestone, draft)]


async def report_heard(
    ctx: Context,
    city: Organisation,
    *,
    milestone_key: str | None,
    status: MilestoneStatus | None,
    percent: int | None,
) -> list[Reply]:
    """Start the update a plain-words report describes, at its confirmation."""
    if status is None and percent is None:
        raise ProgressError("nothing_to_change")
    rows = await service.city_milestones(session=ctx.session, organisation_id=city.id)
    row = next((r for r in rows if r.milestone.key == milestone_key), None)
    if row is None:
        await ctx.state.go(Heard.PICK, _heard_data(status, percent), ttl=FLOW_TTL)
        return views.which_milestone(ctx, city, rows)
    draft = Draft(milestone_id=row.milestone.id, status=status, percent=percent)
    return await confirm_heard(ctx, row.milestone, draft)


async def picked_for_heard(ctx: Context, milestone: Milestone) -> list[Reply] | None:
    """The milestone a heard report was waiting for; None when no report was waiting."""
    if not ctx.state.at(Heard.PICK):
        return None
    draft = _draft(milestone, ctx.state.data)
    if draft is None or (draft.status is None and draft.percent is None):
        await ctx.state.clear()
        return None
    return await confirm_heard(ctx, milestone, draft)
