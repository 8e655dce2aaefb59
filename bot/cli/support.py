"""What every `citybot` command shares: operator errors, settings, one database unit of work.

Kept apart from the root command (`bot/cli/__init__.py`) so that each command group's module
can use it without importing the root, which imports them.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import DATABASE_CONNECT_TIMEOUT_SECONDS, database_engine, require_sqlite_directory
from bot.core.dates import in_quiet_hours
from bot.core.texts import Texts
from bot.delivery.announcements import push_channels
from bot.logs import configure_logging
from bot.settings import Settings, load_settings
from db.base import utcnow
from db.enums import ROLES_BY_KIND, Channel, Role
from db.models import Organisation
from db.repositories import organisations as organisation_repo
from db.session import create_session_factory

T = TypeVar("T")

UNDEFINED_TABLE = "42P01"  # PostgreSQL's SQLSTATE for a missing table
# OSErrors that mean "no route to the database server", as opposed to a bug touching a file.
NETWORK_ERRNOS = frozenset({errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH})


class CommandError(Exception):
    """A mistake the operator can fix; the message is the whole explanation."""


def load_cli_settings() -> Settings:
    """Settings from the environment, and logging set up to match (redacting their secrets)."""
    settings = load_settings()
    configure_logging(settings)
    return settings


def shown_url(settings: Settings) -> str:
    """The database URL without its password, for messages."""
    return make_url(settings.database_url).render_as_string(hide_password=True)


def database_problem(error: Exception, settings: Settings) -> str | None:
    """What an operator should read for a database failure, or None when it is a bug."""
    where = shown_url(settings)
    if isinstance(error, DBAPIError):
        detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        missing_table = getattr(error.orig, "sqlstate", None) == UNDEFINED_TABLE
        if missing_table or "no such table" in detail:
            return f"the database at {where} is not migrated; run `citybot db upgrade` first"
        return f"cannot use the database at {where}: {detail}"
    if isinstance(error, _migration_errors()):
        return f"cannot migrate the database at {where}: {error}"
    if isinstance(error, TimeoutError):
        return (
            f"the database at {where} did not answer within {DATABASE_CONNECT_TIMEOUT_SECONDS:g} s"
        )
    network = isinstance(error, (ConnectionError, socket.gaierror))
    if network or (isinstance(error, OSError) and error.errno in NETWORK_ERRNOS):
        return f"cannot reach the database at {where}: {error}"
    return None


def _migration_errors() -> tuple[type[Exception], ...]:
    """Alembic's error type once a migration has run (only then can it be raised).

    Importing alembic costs a serving process 7 MB it never uses, so it is not imported here.
    """
    errors = sys.modules.get("alembic.util.exc")
    return (errors.CommandError,) if errors is not None else ()


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """Translate unreachable, missing or unmigrated databases into CommandError."""
    require_sqlite_directory(settings.database_url)
    try:
        yield
    except Exception as error:
        # The migration errors are looked up now: the block may have imported alembic.
        handled = (DBAPIError, OSError, *_migration_errors())
        problem = database_problem(error, settings) if isinstance(error, handled) else None
        if problem is None:
            raise
        raise CommandError(problem) from None


def in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction, on an engine of its own; commit unless it raises.

    Only the database: a command that reads or queues rows has no use for the platform SDKs,
    whose import would double its run time.
    """

    async def run() -> T:
        engine = database_engine(settings)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    with database_errors(settings):
        return asyncio.run(run())


# `--as-of ISO-DATETIME`, as every command that acts "as at" a time declares it.
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="ISO-DATETIME",
        help="Act as at this time, e.g. 2027-02-12T16:30 (CITYBOT_TIMEZONE unless an offset "
        "is given); now by default.",
    ),
]


def parse_as_of(typed: str | None, zone: ZoneInfo) -> datetime:
    """`--as-of` in UTC (ISO 8601; one without an offset is local to `zone`); now if unset."""
    if typed is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(typed.strip())
    except ValueError:
        raise CommandError(
            f"--as-of {typed!r} is not an ISO 8601 date and time; use e.g. 2027-01-04T09:00 "
            f"({zone.key} unless an offset is given)"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


@dataclass(frozen=True)
class PushRun:
    """What a command that runs a scheduled job by hand needs: settings, the moment it acts
    at, the platforms to push on and the texts."""

    settings: Settings
    now: datetime
    channels: tuple[Channel, ...]
    texts: Texts


def push_run(as_of: str | None, what: str) -> PushRun:
    """Settings, `--as-of` and the platforms (a CommandError when there are none: `what` goes
    out only there), then the texts."""
    settings = load_cli_settings()
    now = parse_as_of(as_of, settings.timezone)
    channels = require_push_channels(settings, what)
    return PushRun(settings, now, channels, Texts.load(settings.content_dir))


def quiet_hours_note(now: datetime, settings: Settings, what: str) -> None:
    """Say so when `now` is in the quiet hours, in which `what` waits until 08:00."""
    if in_quiet_hours(now, settings.timezone):
        typer.echo(
            f"{local_minute(now, settings)} is in the quiet hours (21:00-08:00): "
            f"{what} wait until 08:00"
        )


def require_push_channels(settings: Settings, what: str) -> tuple[Channel, ...]:
    """The platforms messages are pushed on; a CommandError when neither is configured."""
    channels = push_channels(settings)
    if not channels:
        raise CommandError(
            "neither LINE (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN) nor Telegram "
            f"(TELEGRAM_BOT_TOKEN) is configured, and {what} go out only there"
        )
    return channels


def local_minute(moment: datetime, settings: Settings) -> str:
    """`moment` in the display time zone, to the minute, ISO 8601."""
    return moment.astimezone(settings.timezone).isoformat(timespec="minutes")


async def find_organisation(session: AsyncSession, slug: str) -> Organisation:
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


def parse_role(name: str) -> Role:
    """The role called `name`, or a CommandError listing the roles."""
    try:
        return Role(name)
    except ValueError:
        raise CommandError(
            f"unknown role {name!r} (roles: {', '.join(r.value for r in Role)})"
        ) from None


def require_fit(organisation: Organisation, role: Role) -> None:
    """A CommandError unless `role` exists in organisations of this kind."""
    fitting = ROLES_BY_KIND[organisation.kind]
    if role not in fitting:
        kind = organisation.kind.value
        article = "an" if kind[:1] in "aeiou" else "a"
        raise CommandError(
            f"role {role.value!r} does not fit {organisation.slug!r}, {article} {kind} "
            f"(it takes {' or '.join(sorted(fitting))})"
        )


def print_table(headings: tuple[str, ...], rows: list[list[str]]) -> None:
    """Columns as wide as their widest cell, two spaces apart; the last one unpadded."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headings)]
    for row in [list(headings), *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        typer.echo("  ".join([*cells, row[-1]]).rstrip())
