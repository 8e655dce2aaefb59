"""The `citybot` command: serve the bot, migrate and seed the database, manage invites.

Commands stay thin: they read settings, open the App for one unit of work, call repositories and
print. Anything an operator can get wrong ends as one `error: …` line and exit code 2, never a
traceback; a traceback means a bug.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession
from typer.core import TyperGroup

from bot.announce_cli import announce_cli
from bot.app import App, DatabaseUnavailable, require_sqlite_directory
from bot.channels.line.cli import line_cli
from bot.channels.telegram.cli import telegram_cli
from bot.cli_support import CommandError as CommandError  # re-exported: channel CLIs raise it
from bot.cli_support import database_errors as _database_errors
from bot.cli_support import in_session as _in_session
from bot.cli_support import load_cli_settings as _load_settings
from bot.cli_support import local_minute as _local
from bot.cli_support import shown_url as _shown_url
from bot.core.texts import TextsError
from bot.settings import SettingsError
from db.base import utcnow
from db.enums import ROLES_BY_KIND, Role
from db.models import Invite, Organisation
from db.repositories import audit
from db.repositories import invites as invite_repo
from db.repositories import organisations as organisation_repo

log = logging.getLogger("bot.cli")

USAGE_ERROR = 2
MAX_INVITE_DAYS = 365


class OperatorErrors(TyperGroup):
    """The root group: turns operator mistakes from any command into `error: …` and exit 2."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; report operator mistakes on one line instead of a traceback."""
        try:
            return super().invoke(ctx)
        except (CommandError, SettingsError, DatabaseUnavailable, TextsError) as error:
            # One line even when a message (a YAML error, say) spans several.
            typer.echo(f"error: {' '.join(str(error).split())}", err=True)
            raise typer.Exit(USAGE_ERROR) from None


cli = typer.Typer(
    cls=OperatorErrors,
    name="citybot",
    help="Smart City Connect: the LINE and Telegram bot of Thailand's smart-city programme.",
    no_args_is_help=True,
    add_completion=False,
    # Settings hold tokens; a crash report must not print local variables.
    pretty_exceptions_show_locals=False,
)
db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)
invite_cli = typer.Typer(help="Invite codes that let people register.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(invite_cli, name="invite")
cli.add_typer(announce_cli, name="announce")
cli.add_typer(telegram_cli, name="telegram")
cli.add_typer(line_cli, name="line")


def main() -> None:
    """Entry point of the `citybot` console script and of `python -m bot`."""
    cli(prog_name="citybot")


# --- settings and database access ----------------------------------------------------------------


async def _organisation(session: AsyncSession, slug: str) -> Organisation:
    """The organisation `slug`, or a CommandError listing the known slugs."""
    organisation = await organisation_repo.get_organisation(session=session, slug=slug)
    if organisation is not None:
        return organisation
    known = [org.slug for org in await organisation_repo.list_organisations(session=session)]
    if not known:
        raise CommandError(
            f"unknown organisation {slug!r}: the database has none yet; run `citybot seed`"
        )
    raise CommandError(f"unknown organisation {slug!r} (known: {', '.join(sorted(known))})")


def _role(name: str) -> Role:
    """The role called `name`, or a CommandError listing the roles."""
    try:
        return Role(name)
    except ValueError:
        raise CommandError(
            f"unknown role {name!r} (roles: {', '.join(r.value for r in Role)})"
        ) from None


def _require_fit(organisation: Organisation, role: Role) -> None:
    """A CommandError unless `role` exists in organisations of this kind."""
    fitting = ROLES_BY_KIND[organisation.kind]
    if role not in fitting:
        raise CommandError(
            f"role {role.value!r} does not fit {organisation.slug!r}, a "
            f"{organisation.kind.value} (it takes {' or '.join(sorted(fitting))})"
        )


# --- commands ------------------------------------------------------------------------------------


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8080,
) -> None:
    """Run the web app (webhooks, health, simulator), workers and scheduler in one process."""
    import uvicorn

    from bot.web import create_web_app

    settings = _load_settings()
    require_sqlite_directory(settings.database_url)
    web = create_web_app(App.create(settings))
    log.info("serving on http://%s:%d (database %s)", host, port, _shown_url(settings))
    if settings.simulator_enabled:
        log.info("simulator: http://%s:%d/simulator", host, port)
    # log_config=None: uvicorn's loggers go through our redacting, one-line handler. No access
    # log: a line per webhook would cost more than storing the webhook does.
    uvicorn.run(web, host=host, port=port, log_config=None, access_log=False)


@cli.command()
def console(
    user: Annotated[
        str, typer.Option("--user", help="Your chat account's name on the console channel.")
    ] = "console",
    as_member: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="ORG:ROLE",
            help="Start as a registered member, e.g. khon-kaen:officer (for development).",
        ),
    ] = None,
) -> None:
    """Chat with the bot in this terminal: one message per line (pipes work); numbers pick."""
    from bot.channels.console import ConsoleChannel, register_console_member

    settings = _load_settings()
    wanted: tuple[str, Role] | None = None
    if as_member is not None:
        org_slug, _, role_name = as_member.partition(":")
        wanted = (org_slug, _role(role_name))

    async def chat() -> None:
        app = App.create(settings)
        try:
            if wanted is not None:
                async with app.sessions() as session, session.begin():
                    organisation = await _organisation(session, wanted[0])
                    _require_fit(organisation, wanted[1])
                    await register_console_member(
                        session=session,
                        external_id=user,
                        organisation=organisation,
                        role=wanted[1],
                        now=app.dispatcher.services.clock.now(),
                    )
            channel = app.answer_in_person(ConsoleChannel)
            interactive = sys.stdin.isatty()
            while True:
                if interactive:
                    typer.echo("> ", nl=False)
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line:
                    break
                typer.echo(await channel.say(line.rstrip("\n"), user_id=user, display_name=user))
                typer.echo("")
        finally:
            await app.close()

    with _database_errors(settings):
        asyncio.run(chat())


@cli.command()
def worker() -> None:
    """Deliver without the web server: inbox, outbox workers and the scheduler (Ctrl-C stops).

    Run several on one PostgreSQL database to share the load; claims keep every message single.
    """
    settings = _load_settings()

    async def work() -> None:
        app = App.create(settings)
        if not app.adapters:
            await app.close()
            raise CommandError(
                "neither LINE nor Telegram is configured: a worker would have nothing to deliver"
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await app.start()
        log.info("worker: delivering on %s", ", ".join(c.value for c in app.adapters))
        try:
            await stop.wait()
        finally:
            log.info("worker: stopping")
            await app.close()

    with _database_errors(settings):
        asyncio.run(work())


@cli.command()
def seed(
    demo: Annotated[
        bool, typer.Option("--demo", help="Also add demo members, invites and progress.")
    ] = False,
) -> None:
    """Load organisations, domains, workshops, materials and the rest of content/ (idempotent)."""
    from bot.catalogue import ContentError
    from bot.seed import run_seed

    settings = _load_settings()
    if demo and settings.citybot_env == "production":
        # Demo invite codes are public and long-lived: they must never open a production bot.
        raise CommandError("--demo is refused when CITYBOT_ENV=production")
    try:
        with _database_errors(settings):
            report = asyncio.run(
                run_seed(
                    database_url=settings.database_url,
                    content_dir=settings.content_dir,
                    materials_base_url=settings.citybot_materials_base_url,
                    demo=demo,
                )
            )
    except ContentError as error:
        raise CommandError(f"content is not valid, nothing was seeded: {error}") from None
    typer.echo(report.summary())


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration the database lacks."""
    from db.migrate import upgrade

    settings = _load_settings()
    with _database_errors(settings):
        upgrade(settings.database_url)
    typer.echo(f"database {_shown_url(settings)} is at the latest schema")


@invite_cli.command("create")
def invite_create(
    org: Annotated[str, typer.Option("--org", help="Organisation slug, e.g. khon-kaen or depa.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="executive or officer (city), partner (firm), coordinator or admin (depa).",
        ),
    ],
    uses: Annotated[
        int, typer.Option("--uses", help="How many people may use it (1 or more).")
    ] = 1,
    days: Annotated[
        int, typer.Option("--days", help=f"Days until it expires (1 to {MAX_INVITE_DAYS}).")
    ] = 14,
) -> None:
    """Create an invite code; the code alone is the last line of output."""
    if uses < 1:
        raise CommandError(f"--uses must be 1 or more, got {uses}")
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise CommandError(f"--days must be from 1 to {MAX_INVITE_DAYS}, got {days}")
    wanted = _role(role)
    settings = _load_settings()
    now = utcnow()

    async def create(session: AsyncSession) -> tuple[Invite, Organisation]:
        organisation = await _organisation(session, org)
        _require_fit(organisation, wanted)
        invite = await invite_repo.create_invite(
            session=session,
            organisation_id=organisation.id,
            role=wanted,
            max_uses=uses,
            valid_for=timedelta(days=days),
            now=now,
        )
        await audit.record(
            session=session,
            now=now,
            action="invite.create",
            target=f"invite:{invite.code}",
            details={
                "organisation": organisation.slug,
                "role": wanted.value,
                "max_uses": uses,
                "expires_at": invite.expires_at.isoformat(),
                "via": "cli",
            },
        )
        return invite, organisation

    invite, organisation = _in_session(settings, create)
    typer.echo(
        f"invite for {organisation.slug} ({organisation.name_en}) as {invite.role.value}: "
        f"{invite.max_uses} use{'s' if invite.max_uses != 1 else ''}, expires "
        f"{_local(invite.expires_at, settings)} ({settings.citybot_timezone})"
    )
    if settings.telegram_bot_username:
        username = settings.telegram_bot_username.removeprefix("@")
        typer.echo(f"telegram: https://t.me/{username}?start={invite.code}")
    typer.echo(invite.code)


@invite_cli.command("list")
def invite_list(
    org: Annotated[
        str | None, typer.Option("--org", help="Only this organisation's invites.")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Include revoked, expired and used-up invites.")
    ] = False,
) -> None:
    """List invites, newest first: usable ones only unless --all."""
    settings = _load_settings()
    now = utcnow()

    async def collect(session: AsyncSession) -> tuple[list[Invite], dict[int, str]]:
        only = (await _organisation(session, org)).id if org else None
        found = await invite_repo.list_invites(
            session=session, organisation_id=only, include_inactive=show_all, now=now
        )
        slugs = {o.id: o.slug for o in await organisation_repo.list_organisations(session=session)}
        return found, slugs

    found, slugs = _in_session(settings, collect)
    if not found:
        typer.echo("no invites" if show_all else "no usable invites (--all shows the others)")
        return
    expires = f"EXPIRES ({settings.citybot_timezone})"
    typer.echo(f"{'CODE':<10}{'ORGANISATION':<22}{'ROLE':<13}{'USES':<7}{expires:<24}STATE")
    for invite in found:
        typer.echo(
            f"{invite.code:<10}{slugs[invite.organisation_id]:<22}{invite.role.value:<13}"
            f"{f'{invite.uses}/{invite.max_uses}':<7}{_local(invite.expires_at, settings):<24}"
            f"{_state(invite, now)}"
        )


def _state(invite: Invite, now: datetime) -> str:
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= now:
        return "expired"
    if invite.uses >= invite.max_uses:
        return "used up"
    return "usable"


@invite_cli.command("revoke")
def invite_revoke(
    code: Annotated[str, typer.Argument(help="The invite code (case and dashes do not matter).")],
) -> None:
    """Revoke an invite so nobody else can register with it."""
    settings = _load_settings()
    now = utcnow()

    async def revoke(session: AsyncSession) -> tuple[Invite, bool]:
        invite = await invite_repo.get_invite(session=session, code=code)
        if invite is None:
            raise CommandError(f"no invite with code {invite_repo.normalise_code(code)!r}")
        revoked_now = await invite_repo.revoke_invite(session=session, code=invite.code, now=now)
        if revoked_now:
            await audit.record(
                session=session,
                now=now,
                action="invite.revoke",
                target=f"invite:{invite.code}",
                details={"role": invite.role.value, "uses": invite.uses, "via": "cli"},
            )
        return invite, revoked_now

    invite, revoked_now = _in_session(settings, revoke)
    # Revoking twice is no mistake worth failing a script for: the invite is unusable either way.
    when = _local(invite.revoked_at or now, settings)
    typer.echo(
        f"invite {invite.code} {'revoked' if revoked_now else 'was already revoked'} at {when}"
    )
