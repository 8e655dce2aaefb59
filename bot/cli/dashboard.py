"""`citybot dashboard link --member ID`: a one-time dashboard sign-in link, for an operator.

The same link `/dashboard` sends in chat (ten minutes, one sign-in), audited as made by the
CLI; the URL is the last line of output.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import CommandError, in_session, load_cli_settings
from db.base import utcnow
from db.models import Member
from handlers.dashboard import service
from handlers.dashboard.service import DashboardError

app = typer.Typer(help="The web dashboard: sign-in links.", no_args_is_help=True)


@app.command("link")
def link(
    member: Annotated[int, typer.Option("--member", help="The member's id (see the database).")],
) -> None:
    """Print a one-time sign-in link for member ID (depa staff or a city executive)."""
    settings = load_cli_settings()

    async def issue(session: AsyncSession) -> str:
        found = await session.get(Member, member)
        if found is None:
            raise CommandError(f"no member with id {member}")
        try:
            token = await service.issue_link(session=session, member=found, now=utcnow(), by="cli")
        except DashboardError:
            raise CommandError(
                f"member {member} may not use the dashboard (only depa staff and city "
                "executives, active)"
            ) from None
        return token

    token = in_session(settings, issue)
    base = settings.public_base_url or settings.citybot_serving_url
    typer.echo(f"one-time sign-in link for member {member}, valid 10 minutes:")
    typer.echo(f"{base}{service.link_path(token)}")
