"""`citybot partners list`: the firms' partnership offers, with cities' interest.

Thin: `handlers.offers.service` reads them with their counts in a fixed number of queries;
this prints them. Without --status every offer is listed, rejected ones too.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import CommandError, in_session, load_cli_settings, print_table
from db.enums import OfferStatus
from handlers.offers.service import list_offers, offer_record

app = typer.Typer(help="Partner firms' offers to cities.", no_args_is_help=True)

# What --status takes: the offers cities can see, those waiting for depa, those withdrawn.
STATUSES = (OfferStatus.OPEN, OfferStatus.PENDING, OfferStatus.CLOSED)
FIELDS = ("id", "org", "title", "domains", "status", "interests", "introduced")


class Format(StrEnum):
    """How `partners list` prints: a table for people, JSON for scripts."""

    TABLE = "table"
    JSON = "json"


def status_of(typed: str | None) -> OfferStatus | None:
    """The status --status names (None: every offer); CommandError for any other word."""
    if typed is None:
        return None
    wanted = typed.strip().casefold()
    found = next((status for status in STATUSES if status.value == wanted), None)
    if found is None:
        choices = "|".join(status.value for status in STATUSES)
        raise CommandError(f"--status {typed!r}: use {choices}")
    return found


@app.command("list")
def list_partners(
    status: Annotated[
        str | None,
        typer.Option("--status", metavar="open|pending|closed", help="Offers in one status."),
    ] = None,
    output: Annotated[
        Format, typer.Option("--format", help="table (default) or json (a list on stdout).")
    ] = Format.TABLE,
) -> None:
    """Each offer: id, firm, title, domains, status, cities interested, introductions made."""
    wanted = status_of(status)
    settings = load_cli_settings()

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        return [offer_record(row) for row in await list_offers(session=session, status=wanted)]

    records = in_session(settings, read)
    if output is Format.JSON:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not records:
        typer.echo("no offers")
        return
    rows = [
        [",".join(record[f]) if f == "domains" else str(record[f]) for f in FIELDS]
        for record in records
    ]
    print_table(tuple(f.upper() for f in FIELDS), rows)
