"""`/dashboard` in chat: a one-time link to depa's web dashboard.

depa's coordinators and admins see every city; a city's executives their own city. Others are
told who may sign in. The link is good for ten minutes and one sign-in (`service.py`).
"""

from __future__ import annotations

from bot.core.authz import roles
from bot.core.context import Context
from bot.core.events import Event
from bot.core.replies import Link, Reply, Text
from bot.core.router import Router
from db.enums import Role
from handlers.dashboard import service

router = Router("dashboard")
VIEWERS = roles(*service.VIEWERS)
OTHERS = roles(*(set(Role) - service.VIEWERS))


def link_url(ctx: Context, token: str) -> str:
    """The link on the public address, or on the address the bot serves on when there is none."""
    settings = ctx.services.settings
    base = settings.public_base_url or settings.citybot_serving_url
    return f"{base}{service.link_path(token)}"


@router.command("dashboard", access=VIEWERS)
async def dashboard(_event: Event, ctx: Context) -> list[Reply]:
    """A fresh sign-in link: a button where the address is public, else the address itself."""
    token = await service.issue_link(session=ctx.session, member=ctx.registered, now=ctx.now)
    url = link_url(ctx, token)
    text = ctx.t("dashboard.chat.link", minutes=int(service.LINK_TTL.total_seconds() // 60))
    if ctx.services.settings.public_base_url is None:
        # Telegram refuses buttons to private addresses: the address goes in the text.
        return [Text(text=f"{text}\n{url}")]
    return [Link(text=text, label=ctx.t("dashboard.chat.open"), url=url)]


@router.command("dashboard", access=OTHERS)
async def not_for_you(_event: Event, ctx: Context) -> list[Reply]:
    """Officers and partners: who may sign in."""
    return [Text(text=ctx.t("dashboard.chat.not_allowed"))]
