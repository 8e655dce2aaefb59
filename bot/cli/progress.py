"""`citybot progress …`: the cities' milestones, an operator's update, who is behind, a workbook.

Thin: every step is `handlers.progress.service`'s (and `report`'s), the same chat's `/progress`
takes; this module parses options, prints, and words the service's refusals for an operator.
An update made here is checked like one from chat, audited as the operator's (`via: cli`), and
announced to the city's team as chat announces it; `citybot serve` delivers the notices.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import (
    AsOf,
    CommandError,
    in_session,
    load_cli_settings,
    local_minute,
    parse_as_of,
    print_table,
)
from bot.core.csvfile import cell, csv_text
from bot.core.texts import Texts
from bot.delivery.announcements import push_channels
from bot.settings import Settings
from db.base import utcnow
from db.enums import Language, MilestoneStatus
from handlers.progress import rules, service
from handlers.progress.notices import ChatNotices
from handlers.progress.records import MILESTONE_FIELDS, behind_record, milestone_record

app = typer.Typer(
    help="Progress of the cities' plans: milestones, updates, who is behind, the workbook.",
    no_args_is_help=True,
)


class Format(StrEnum):
    """How `progress show` prints: a table for people, JSON or CSV for scripts."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class BehindFormat(StrEnum):
    """How `progress behind` prints."""

    TABLE = "table"
    JSON = "json"


def _refusal(problem: rules.ProgressError) -> CommandError:
    """The service's refusal, worded for an operator (options by name)."""
    details = problem.details
    match problem.reason:
        case "unknown_org":
            text = f"--org {details['org']!r}: no such organisation"
        case "not_a_city":
            text = f"--org {details['org']!r} is not a city; only cities have plans"
        case "unknown_milestone":
            text = f"--milestone {details['key']!r}: the city has no such milestone"
        case "not_a_number":
            text = f"--percent {details['typed']!r} is not a number"
        case "percent_range":
            text = f"--percent {details['percent']} is out of range; give 0 to 100"
        case "unknown_status":
            statuses = ", ".join(status.value for status in MilestoneStatus)
            text = f"--status {details['typed']!r} is not a status ({statuses})"
        case "note_too_long":
            text = f"--note is too long; at most {details['limit']:,} characters"
        case "nothing_to_change":
            text = "nothing to change: give --status or --percent"
        case reason:
            text = f"{reason}: {details}"
    return CommandError(text)


@app.command("show")
def show(
    org: Annotated[
        str | None, typer.Option("--org", metavar="SLUG", help="One city only.")
    ] = None,
    output: Annotated[
        Format,
        typer.Option("--format", help="table (default), json (a list on stdout) or csv."),
    ] = Format.TABLE,
) -> None:
    """Every city's milestones: status, percent, due day, overdue, last update and by whom."""
    settings = load_cli_settings()
    now = utcnow()

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        rows = await service.progress_rows(session=session, org=org)
        return [milestone_record(row, now, settings.timezone) for row in rows]

    try:
        records = in_session(settings, read)
    except rules.ProgressError as problem:
        raise _refusal(problem) from None
    if output is Format.JSON:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif output is Format.CSV:
        typer.echo(csv_text(MILESTONE_FIELDS, records), nl=False)
    elif not records:
        typer.echo("no cities with plans; run `citybot seed`")
    else:
        _print_milestones(records, settings)


def _print_milestones(records: list[dict[str, Any]], settings: Settings) -> None:
    updated = f"UPDATED ({settings.citybot_timezone})"
    headings = ("ORG", "PLAN", "MILESTONE", "STATUS", "%", "DUE", "OVERDUE", updated, "BY")
    rows = []
    for record in records:
        stamp = record["updated_at"]
        shown = local_minute(datetime.fromisoformat(stamp), settings) if stamp else ""
        cells = [cell(record[f]) for f in MILESTONE_FIELDS[:6]]
        rows.append(
            [*cells, "yes" if record["overdue"] else "", shown, cell(record["updated_by"])]
        )
    print_table(headings, rows)


@app.command("set")
def set_progress(
    org: Annotated[str, typer.Option("--org", metavar="SLUG", help="The city.")],
    milestone: Annotated[
        str, typer.Option("--milestone", metavar="KEY", help="The milestone's key.")
    ],
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="S",
            help="not_started, in_progress, blocked or done.",
        ),
    ] = None,
    percent: Annotated[
        str | None,
        typer.Option("--percent", metavar="N", help="0 to 100 (100 is done)."),
    ] = None,
    note: Annotated[
        str | None,
        typer.Option("--note", metavar="TEXT", help=f"At most {rules.MAX_NOTE_CHARS:,} chars."),
    ] = None,
) -> None:
    """Record an update as the operator, checked as chat checks it; the city's team hears of it."""
    settings = load_cli_settings()
    texts = Texts.load(settings.content_dir)
    outreach = service.Outreach(
        texts=texts, channels=push_channels(settings), notices=ChatNotices(settings.timezone)
    )

    async def record(session: AsyncSession) -> service.Change:
        organisation = await service.city_of(session=session, slug=org)
        found = await service.milestone_of(
            session=session, organisation_id=organisation.id, key=milestone
        )
        return await service.record_update(
            session=session,
            organisation=organisation,
            milestone=found,
            status=rules.parse_status(status) if status is not None else None,
            percent=rules.parse_percent(percent) if percent is not None else None,
            note=note,
            evidence=None,
            author=None,
            identity_id=None,
            channel=None,
            now=utcnow(),
            outreach=outreach,
            via="cli",
        )

    try:
        change = in_session(settings, record)
    except rules.ProgressError as problem:
        raise _refusal(problem) from None
    update = change.update
    before = (update.previous_status or MilestoneStatus.NOT_STARTED).value
    typer.echo(
        f"{change.organisation.slug} {change.milestone.key}: "
        f"{before} {update.previous_percent or 0}% → {update.status.value} {update.percent}%"
    )


@app.command("behind")
def behind(
    as_of: AsOf = None,
    output: Annotated[
        BehindFormat, typer.Option("--format", help="table (default) or json (a list on stdout).")
    ] = BehindFormat.TABLE,
) -> None:
    """Cities with an overdue milestone, or no update for 14 days: the rule of `/behind`."""
    settings = load_cli_settings()
    moment = parse_as_of(as_of, settings.timezone)

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        return [
            behind_record(city) for city in await service.behind(session=session, as_of=moment)
        ]

    records = in_session(settings, read)
    if output is BehindFormat.JSON:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not records:
        typer.echo(f"no city is behind at {local_minute(moment, settings)}")
        return
    fields = ("org", "reasons", "silent_days", "overdue")
    headings = ("ORG", "REASONS", "SILENT DAYS", "OVERDUE MILESTONES")
    print_table(headings, [[cell(record[f]) for f in fields] for record in records])


@app.command("report")
def report(
    output: Annotated[
        Path, typer.Option("--output", metavar="FILE.xlsx", help="Where to write the workbook.")
    ],
) -> None:
    """Write the progress workbook (Excel): a summary grid by status, and every update."""
    from handlers.progress.report import save, workbook

    settings = load_cli_settings()
    if not output.parent.is_dir():
        raise CommandError(f"--output: the directory {str(output.parent)!r} does not exist")
    t = Texts.load(settings.content_dir).bind(Language.TH)

    async def build(session: AsyncSession) -> bytes:
        return await workbook(session=session, now=utcnow(), zone=settings.timezone, t=t)

    data = in_session(settings, build)
    try:
        save(data, output)
    except OSError as error:
        raise CommandError(f"--output: cannot write {str(output)!r}: {error.strerror}") from None
    typer.echo(f"wrote {output} ({len(data):,} bytes)")
