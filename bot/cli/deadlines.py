"""`citybot deadlines list`: the competition's stages, their due times and reminders.

Thin: `handlers.deadlines.service` reads what `/deadlines` shows; this prints it, times in
CITYBOT_TIMEZONE with their offset (`2027-02-26T16:30:00+07:00`).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import in_session, load_cli_settings, print_table
from handlers.deadlines.service import stage_record, stage_records

app = typer.Typer(
    help="Competition deadlines: the stages and their reminders.", no_args_is_help=True
)


class Format(StrEnum):
    """How `deadlines list` prints: a table for people, JSON for scripts."""

    TABLE = "table"
    JSON = "json"


@app.command("list")
def list_deadlines(
    output: Annotated[
        Format, typer.Option("--format", help="table (default) or json (a list on stdout).")
    ] = Format.TABLE,
) -> None:
    """Every stage in order: competition, stage, titles, due time, reminder times."""
    settings = load_cli_settings()

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        return [stage_record(r, settings.timezone) for r in await stage_records(session=session)]

    records = in_session(settings, read)
    if output is Format.JSON:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not records:
        typer.echo("no competition stages; run `citybot seed`")
        return
    headings = ("COMPETITION", "STAGE", "DUE", "REMINDERS", "TITLE")
    rows = [
        [
            record["competition"],
            record["stage"],
            record["due"][:16],
            ",".join(moment[:16] for moment in record["reminders"]),
            record["title_en"],
        ]
        for record in records
    ]
    print_table(headings, rows)
