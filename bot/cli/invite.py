"""`citybot invite …`: the invite codes that let people register."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import (
    CommandError,
    find_organisation,
    in_session,
    load_cli_settings,
    local_minute,
    parse_role,
    require_fit,
)
from db.base import utcnow
from db.models import Invite, Organisation
from db.repositories import invites as invite_repo
from db.repositories import organisations as organisation_repo
from db.repositories.invites import invite_state
from handlers.team import service as team
from handlers.team.service import MAX_INVITE_DAYS, MAX_INVITE_USES

app = typer.Typer(help="Invite codes that let people register.", no_args_is_help=True)


@app.command("create")
def create(
    org: Annotated[str, typer.Option("--org", help="Organisation slug, e.g. khon-kaen or depa.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="executive or officer (city), partner (firm), coordinator or admin (depa).",
        ),
    ],
    uses: Annotated[
        int, typer.Option("--uses", help=f"How many people may use it (1 to {MAX_INVITE_USES}).")
    ] = 1,
    days: Annotated[
        int, typer.Option("--days", help=f"Days until it expires (1 to {MAX_INVITE_DAYS}).")
    ] = 14,
) -> None:
    """Create an invite code; the code alone is the last line of output."""
    if not 1 <= uses <= MAX_INVITE_USES:
        raise CommandError(f"--uses must be from 1 to {MAX_INVITE_USES}, got {uses}")
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise CommandError(f"--days must be from 1 to {MAX_INVITE_DAYS}, got {days}")
    wanted = parse_role(role)
    settings = load_cli_settings()
    now = utcnow()

    async def make(session: AsyncSession) -> tuple[Invite, Organisation]:
        organisation = await find_organisation(session, org)
        require_fit(organisation, wanted)
        invite = await team.create_invite(
            session=session,
            organisation=organisation,
            role=wanted,
            max_uses=uses,
            valid_for=timedelta(days=days),
            via="cli",
            now=now,
        )
        return invite, organisation

    invite, organisation = in_session(settings, make)
    typer.echo(
        f"invite for {organisation.slug} ({organisation.name_en}) as {invite.role.value}: "
        f"{invite.max_uses} use{'s' if invite.max_uses != 1 else ''}, expires "
        f"{local_minute(invite.expires_at, settings)} ({settings.citybot_timezone})"
    )
    if settings.telegram_bot_username:
        username = settings.telegram_bot_username.removeprefix("@")
        typer.echo(f"telegram: https://t.me/{username}?start={invite.code}")
    typer.echo(invite.code)


@app.command("list")
def list_invites(
    org: Annotated[
        str | None, typer.Option("--org", help="Only this organisation's invites.")
    ] = None,
    show_all: Annotated[
        bool,
        typer.Option("--all", help="Include revoked, expired and used-up invites."),
    ] = False,
) -> None:
    """List invites, newest first: usable ones only unless --all."""
    settings = load_cli_settings()
    now = utcnow()

    async def collect(session: AsyncSession) -> tuple[list[Invite], dict[int, str]]:
        only = (await find_organisation(session, org)).id if org else None
        found = await invite_repo.list_invites(
            session=session, organisation_id=only, include_inactive=show_all, now=now
        )
        slugs = {o.id: o.slug for o in await organisation_repo.list_organisations(session=session)}
        return found, slugs

    found, slugs = in_session(settings, collect)
    if not found:
        typer.echo("no invites" if show_all else "no usable invites (--all shows the others)")
        return
    expires = f"EXPIRES ({settings.citybot_timezone})"
    typer.echo(f"{'CODE':<10}{'ORGANISATION':<22}{'ROLE':<13}{'USES':<7}{expires:<24}STATE")
    for invite in found:
        state = invite_state(invite, now=now).value.replace("_", " ")
        typer.echo(
            f"{invite.code:<10}{slugs[invite.organisation_id]:<22}{invite.role.value:<13}"
            f"{f'{invite.uses}/{invite.max_uses}':<7}"
            f"{local_minute(invite.expires_at, settings):<24}{state}"
        )


@app.command("revoke")
def revoke(
    code: Annotated[str, typer.Argument(help="The invite code (case and dashes do not matter).")],
) -> None:
    """Revoke an invite so nobody else can register with it."""
    settings = load_cli_settings()
    now = utcnow()

    async def withdraw(session: AsyncSession) -> tuple[Invite, bool]:
        try:
            return await team.revoke_invite(session=session, code=code, now=now, via="cli")
        except team.InviteRefused:
            raise CommandError(
                f"no invite with code {invite_repo.normalise_code(code)!r}"
            ) from None

    invite, revoked_now = in_session(settings, withdraw)
    # Revoking twice is no mistake worth failing a script for: the invite is unusable either way.
    when = local_minute(invite.revoked_at or now, settings)
    typer.echo(
        f"invite {invite.code} {'revoked' if revoked_now else 'was already revoked'} at {when}"
    )
