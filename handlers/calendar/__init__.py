"""Calendars in chat: `/calendar` gives the member their private feed's address, `/calendar
reset` replaces it (the old address stops working). On Telegram the feed comes as an .ics file
as well; LINE bots cannot send files, and a second link there would only repeat the first.

The feature's router. The feeds themselves and the tokens are in `service.py` (the web app
serves the feeds from it), replies in `views.py`.
"""

from __future__ import annotations

from bot.core.authz import MEMBERS
from bot.core.channel import SENDS_FILES
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
        intro = ctx.t("calendar.intro")
    elif words[0] in RESET_WORDS:
        token = await service.reset_token(session=ctx.session, member=ctx.member, now=ctx.now)
        intro = ctx.t("calendar.reset_done")
    else:
        return views.usage(ctx)
    return views.subscription(ctx, token.token, intro, await _file(ctx, token.token))


async def _file(ctx: Context, token: str) -> bytes | None:
    """The feed's bytes to send as a file, where the channel sends files (Telegram; a second
    link on LINE would only repeat the first), and only with a public address (the file's
    reply links to it as well)."""
    if ctx.identity.channel not in SENDS_FILES or ctx.services.settings.public_base_url is None:
        return None
    return await service.member_calendar(
        session=ctx.session, texts=ctx.services.texts, token=token, zone=ctx.services.zone
    )
