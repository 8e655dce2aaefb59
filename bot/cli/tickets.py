"""`citybot tickets list` and `citybot tickets remind`: members' questions to depa.

Thin: `handlers.questions.service` reads the tickets and reminds the coordinators (the
scheduler's own entry, so running it beside a serving bot, or twice, reminds nobody twice).
Times are printed in CITYBOT_TIMEZONE with their offset.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import (
    AsOf,
    CommandError,
    in_session,
    load_cli_settings,
    print_table,
    push_run,
)
from bot.seeding.holidays import holiday_dates
from bot.seeding.reader import ContentError
from bot.settings import Settings
from db.enums import TicketStatus
from handlers.questions.notices import ChatNotices
from handlers.questions.records import ticket_records
from handlers.questions.service import Outreach, list_tickets, remind_unanswered

app = typer.Typer(help="Members' questions to depa (tickets).", no_args_is_help=True)

FIELDS = ("id", "org", "asked_at", "status", "first_reply_at")


class Format(StrEnum):
    """How `tickets list` prints: a table for people, JSON for scripts."""

    TABLE = "table"
    JSON = "json"


def ticket_status(typed: str | None) -> TicketStatus | None:
    """The status asked for; a CommandError names the ones there are."""
    if typed is None:
        return None
    try:
        return TicketStatus(typed.strip().casefold())
    except ValueError:
        known = ", ".join(status.value for status in TicketStatus)
        raise CommandError(f"--status {typed!r}: no such status (statuses: {known})") from None


def holidays_of(settings: Settings) -> frozenset[date]:
    """The public holidays of content/holidays.yaml; a fault in it is one error line."""
    try:
        return holiday_dates(settings.content_dir)
    except ContentError as error:
        raise CommandError(str(error)) from None


@app.command("list")
def list_command(
    status: Annotated[
        str | None,
        typer.Option(
            "--status", metavar="STATUS", help="open (waiting for depa), answered or closed."
        ),
    ] = None,
    output: Annotated[
        Format, typer.Option("--format", help="table (default) or json (a list on stdout).")
    ] = Format.TABLE,
) -> None:
    """Every ticket, oldest first: id, org, asked_at, status, first_reply_at."""
    wanted = ticket_status(status)
    settings = load_cli_settings()

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        rows = await list_tickets(session=session, status=wanted)
        return ticket_records(rows, settings.timezone)

    records = in_session(settings, read)
    if output is Format.JSON:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not records:
        typer.echo("no tickets")
        return
    rows = [["" if record[f] is None else str(record[f]) for f in FIELDS] for record in records]
    print_table(tuple(f.upper() for f in FIELDS), rows)


@app.command("remind")
def remind(as_of: AsOf = None) -> None:
    """Remind depa's coordinators of questions unanswered two working days (each once)."""
    job = push_run(as_of, "reminders")
    zone = job.settings.timezone
    outreach = Outreach(
        texts=job.texts,
        channels=job.channels,
        notices=ChatNotices(zone),
        zone=zone,
        holidays=holidays_of(job.settings),
    )

    async def run(session: AsyncSession) -> int:
        return await remind_unanswered(session=session, now=job.now, outreach=outreach)

    typer.echo(f"reminded: {in_session(job.settings, run)}")
