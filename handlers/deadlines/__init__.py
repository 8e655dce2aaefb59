"""The competition's calendar in chat: `/deadlines` (กำหนดการ, เดดไลน์, กำหนดส่ง).

Every member sees the stages in order with their due times and countdowns, the next one
marked, and the plan milestones due in the next 30 days. A city's executives and officers also
see their city's state on each stage that takes submissions (submitted with its reference, late,
not yet); depa sees how many cities have not finished each milestone due soon. The use cases
are in `service.py` (which `citybot deadlines list` calls too), the replies in `views.py`.
"""

from __future__ import annotations

from bot.core.authz import CITY_TEAM, DEPA_STAFF, MEMBERS
from bot.core.context import Context
from bot.core.events import Event
from bot.core.replies import Reply
from bot.core.router import Router
from db.models import Organisation
from handlers.deadlines import service, views

router = Router("deadlines")


@router.command("deadlines", access=MEMBERS)
async def deadlines(_event: Event, ctx: Context) -> list[Reply]:
    """`/deadlines`: the stages, the city's state on each, the milestones due within 30 days."""
    assert ctx.member is not None  # MEMBERS only
    organisation = await ctx.session.get(Organisation, ctx.member.organisation_id)
    found = await service.calendar(
        session=ctx.session,
        now=ctx.now,
        organisation=organisation,
        with_counts=DEPA_STAFF.allows(ctx.member),
    )
    return views.calendar(ctx, found, can_submit=CITY_TEAM.allows(ctx.member))
