"""The progress workbook (XLSX): every city's milestones at a glance, and every report made.

Sheet one is a grid, cities down and milestones across, each cell the percent coloured by
status, with each city's completion; sheet two lists every report, oldest first, times in the
display zone. Headers come from `progress_report.*` in the reader's language. Two queries
whatever the history. `citybot progress report` writes it; the dashboard can serve the bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import Translator
from db.enums import MilestoneStatus
from db.models import Milestone, Organisation, Plan, ProgressUpdate
from db.repositories.progress import MilestoneRow, all_updates
from handlers.progress.notices import local, status_label
from handlers.progress.service import is_overdue, progress_rows, summarise

# Fills as spreadsheets colour good, neutral and bad (Excel's own light presets), and grey.
STATUS_FILLS = {
    MilestoneStatus.DONE: "C6EFCE",
    MilestoneStatus.IN_PROGRESS: "FFEB9C",
    MilestoneStatus.BLOCKED: "FFC7CE",
    MilestoneStatus.NOT_STARTED: "D9D9D9",
}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
OVERDUE_FONT = Font(color="C00000", bold=True)
BOLD = Font(bold=True)
PERCENT_FORMAT = '0"%"'
TIME_FORMAT = "yyyy-mm-dd hh:mm"
CITY_WIDTH, MILESTONE_WIDTH, COMPLETION_WIDTH = 24, 16, 14
UPDATE_WIDTHS = (17, 20, 28, 34, 30, 8, 50, 22, 12, 40)


def _fill(status: MilestoneStatus) -> PatternFill:
    return PatternFill("solid", fgColor=STATUS_FILLS[status])


def _text(sheet: Worksheet, row: int, column: int, value: str | None) -> Cell:
    """A cell holding `value` as text, always: a note starting with `=` is not a formula."""
    cell = sheet.cell(row=row, column=column)
    assert isinstance(cell, Cell)  # the sheets here merge no cells
    if value:
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
    return cell


def _header(sheet: Worksheet, titles: Sequence[str], widths: Sequence[float]) -> None:
    """Row 1: bold titles on a tinted band, wrapped, with the columns' widths."""
    for column, (title, width) in enumerate(zip(titles, widths, strict=True), start=1):
        cell = _text(sheet, 1, column, title)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(column)].width = width


def _summary(
    sheet: Worksheet, rows: Sequence[MilestoneRow], now: datetime, zone: ZoneInfo, t: Translator
) -> None:
    """Cities × milestones, each cell the percent on its status colour; completion; a legend."""
    columns: dict[str, int] = {}  # milestone key → column, in template order
    titles: list[str] = [t("progress_report.city")]
    for row in rows:
        if row.milestone.key not in columns:
            columns[row.milestone.key] = len(columns) + 2
            titles.append(local(t, row.milestone, "title"))
    titles.append(t("progress_report.completion"))
    _header(sheet, titles, [CITY_WIDTH] + [MILESTONE_WIDTH] * len(columns) + [COMPLETION_WIDTH])
    sheet.row_dimensions[1].height = 80
    completion_column = len(columns) + 2
    summaries = {s.organisation.id: s for s in summarise(rows, now)}
    lines: dict[int, int] = {}  # organisation id → its row
    for row in rows:
        organisation = row.organisation
        if organisation.id not in lines:
            line = lines[organisation.id] = len(lines) + 2
            _text(sheet, line, 1, local(t, organisation, "name")).font = BOLD
            total = sheet.cell(line, completion_column, summaries[organisation.id].completion)
            total.number_format, total.font = PERCENT_FORMAT, BOLD
            total.alignment = Alignment(horizontal="center")
        milestone = row.milestone
        cell = sheet.cell(lines[organisation.id], columns[milestone.key], milestone.percent)
        cell.number_format = PERCENT_FORMAT
        cell.fill = _fill(milestone.status)
        cell.alignment = Alignment(horizontal="center")
        if is_overdue(milestone, now):
            cell.font = OVERDUE_FONT
    sheet.freeze_panes = "B2"
    _legend(sheet, len(lines) + 3, now, zone, t)


def _legend(sheet: Worksheet, first: int, now: datetime, zone: ZoneInfo, t: Translator) -> None:
    """What the colours and red figures mean, and when the data was taken."""
    _text(sheet, first, 1, t("progress_report.legend")).font = BOLD
    for offset, status in enumerate(STATUS_FILLS, start=1):
        _text(sheet, first + offset, 1, status_label(t, status)).fill = _fill(status)
    overdue = _text(sheet, first + len(STATUS_FILLS) + 1, 1, t("progress_report.overdue"))
    overdue.font = OVERDUE_FONT
    taken = now.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    _text(
        sheet,
        first + len(STATUS_FILLS) + 2,
        1,
        t("progress_report.as_of", when=taken, zone=zone.key),
    )


def _reporter(update: ProgressUpdate, name: str | None, t: Translator) -> str:
    """Who reported: their name; an operator at the command line; or someone since erased."""
    if name:
        return name
    if update.channel is None:
        return t("progress_notice.operator")
    return t("progress_notice.someone")


def _updates(
    sheet: Worksheet,
    updates: Sequence[tuple[ProgressUpdate, Milestone, Organisation, str | None]],
    plans: dict[int, Plan],
    zone: ZoneInfo,
    t: Translator,
) -> None:
    """Every report, oldest first: when (local, a real date), where, what moved, who, how."""
    keys = ("time", "city", "plan", "milestone", "change", "percent", "note", "reporter")
    titles = [t(f"progress_report.{key}") for key in (*keys, "channel", "evidence")]
    _header(sheet, titles, UPDATE_WIDTHS)
    for line, (update, milestone, organisation, name) in enumerate(updates, start=2):
        moment = update.reported_at.astimezone(zone).replace(tzinfo=None, microsecond=0)
        when = sheet.cell(line, 1, moment)
        when.number_format = TIME_FORMAT
        _text(sheet, line, 2, local(t, organisation, "name"))
        plan = plans.get(milestone.plan_id)
        _text(sheet, line, 3, local(t, plan, "title") if plan is not None else None)
        _text(sheet, line, 4, local(t, milestone, "title"))
        before = status_label(t, update.previous_status or MilestoneStatus.NOT_STARTED)
        after = status_label(t, update.status)
        change = f"{before} {update.previous_percent or 0}% → {after} {update.percent}%"
        _text(sheet, line, 5, change)
        sheet.cell(line, 6, update.percent).number_format = PERCENT_FORMAT
        _text(sheet, line, 7, update.note).alignment = Alignment(wrap_text=True)
        _text(sheet, line, 8, _reporter(update, name, t))
        channel = update.channel
        _text(
            sheet, line, 9, t(f"channels.{channel.value}") if channel else t("progress_report.cli")
        )
        _text(sheet, line, 10, update.evidence_url or update.evidence_path)
    sheet.freeze_panes = "A2"
    if updates:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{len(updates) + 1}"


async def workbook(
    *, session: AsyncSession, now: datetime, zone: ZoneInfo, t: Translator
) -> bytes:
    """The progress workbook as XLSX bytes, in `t`'s language, times in `zone`."""
    rows = await progress_rows(session=session)
    updates = await all_updates(session=session)
    plans = {row.plan.id: row.plan for row in rows}
    book = Workbook()
    summary = book.active
    assert summary is not None  # a new workbook has its one sheet
    summary.title = t("progress_report.summary_sheet")
    _summary(summary, rows, now, zone, t)
    _updates(book.create_sheet(t("progress_report.updates_sheet")), updates, plans, zone, t)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def save(data: bytes, path: Path) -> None:
    """Write `data` to `path` whole or not at all: a reader never sees half a workbook."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)  # as any file written for people to open, not mkstemp's 0600
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
