"""Calendars in chat: `/calendar` gives the member their private feed's address, `/calendar
reset` replaces it (the old address stops working).

The feature's router. The feeds themselves and the tokens are in `service.py` (the web app
serves the feeds from it), replies in `views.py`.
"""

from __future__ import annotations

from bot.core.authz import MEMBERS
from bot.core.context import Context
from bot.core.events import Event
from bot.core.replies import Reply
from bot.core.router import Router
from handlers.calendar import service, views

router = Router("calendar")

RESET_WORDS = frozenset({"reset", "new", "รีเซ็ต", "ใหม่", "เปลี่ยน"})


@router.command("calendar", access=MEMBERS)
async def calendar(_event: Event, ctx: Context) -> list[Reply]:
    """`/calendar`: the subscription link; `/calendar reset`: a new one, the old one revoked."""
    assert ctx.member is not None
    words = ctx.args.casefold().split()
    if not words:
        token = await service.issue_token(session=ctx.session, member=ctx.member, now=ctx.now)
        return views.subscription(ctx, token.token, ctx.t("calendar.intro"))
    if words[0] in RESET_WORDS:
        token = await service.reset_token(session=ctx.session, member=ctx.member, now=ctx.now)
        return views.subscription(ctx, token.token, ctx.t("calendar.reset_done"))
    return views.usage(ctx)
