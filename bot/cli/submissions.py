"""`citybot submissions list`: the cities' current competition entries.

Thin: `handlers.submissions.service` reads them (replaced entries are history and not listed);
this prints them, times in CITYBOT_TIMEZONE with their offset.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import CommandError, in_session, load_cli_settings, print_table
from handlers.submissions.service import SUBMISSION_FIELDS, submission_records
from handlers.submissions.stages import SubmissionError

app = typer.Typer(help="Competition entries the cities have handed in.", no_args_is_help=True)


class Format(StrEnum):
    """How `submissions list` prints: a table for people, JSON for scripts."""

    TABLE = "table"
    JSON = "json"


@app.command("list")
def list_submissions(
    stage: Annotated[
        str | None, typer.Option("--stage", metavar="SLUG", help="One stage only.")
    ] = None,
    output: Annotated[
        Format, typer.Option("--format", help="table (default) or json (a list on stdout).")
    ] = Format.TABLE,
) -> None:
    """Each city's current entry per stage: reference, time, late, file or link."""
    settings = load_cli_settings()

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        return await submission_records(session=session, stage=stage, zone=settings.timezone)

    try:
        records = in_session(settings, read)
    except SubmissionError as problem:
        known = problem.details.get("known") or "none; run `citybot seed`"
        raise CommandError(f"--stage {stage!r}: no such stage (stages: {known})") from None
    if output is Format.JSON:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not records:
        typer.echo("no submissions yet")
        return
    rows = [
        [str(record[f]).lower() if f == "late" else str(record[f]) for f in SUBMISSION_FIELDS]
        for record in records
    ]
    print_table(tuple(f.upper() for f in SUBMISSION_FIELDS), rows)
