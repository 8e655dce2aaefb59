"""Progress reads as the history grows: `citybot progress show --format json` and depa's overview.

A fresh database gets the content (14 cities × 10 milestones) and, per milestone, a history of
20 or of 200 reports (2,800 or 28,000 progress_updates) written in bulk, the milestone moved to
its latest. Then, in this process: the command as an operator runs it (settings, engine, one
transaction, JSON on stdout) and `handlers.progress.service.overview` on an open session, each
timed and its SQL statements counted by a `before_cursor_execute` listener. Both read the
milestones' own latest state, so neither should grow with the history; the workbook
(`progress report`), which lists every report, is shown beside them for scale.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.engine import Engine

from bench.broadcast import seeded
from bench.databases import empty_database, measurable_kinds
from bench.report import Table, seconds
from bot.cli import cli
from db.base import utcnow
from db.enums import MemberStatus, MilestoneStatus, Role
from db.models import Member, Milestone, Plan, ProgressUpdate
from db.session import create_engine, create_session_factory
from handlers.progress import service

ROOT = Path(__file__).resolve().parent.parent
HISTORIES = (20, 200)  # reports per milestone
CALLS = 20  # timed calls per read, after one warm-up
PROCESS_RUNS = 3


class Statements:
    """Counts the SQL statements every engine in this process sends, while switched on."""

    def __init__(self) -> None:
        self.count = 0
        self.on = False

    def __call__(self, *_: Any) -> None:
        if self.on:
            self.count += 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        """Count from zero inside the block."""
        self.count, self.on = 0, True
        try:
            yield
        finally:
            self.on = False


def _seed(url: str, history: int) -> None:
    """The content, an officer per city, and `history` reports on every milestone."""
    seeded(url)
    asyncio.run(_reports(url, history))


async def _reports(url: str, history: int) -> None:
    engine = create_engine(url)
    now = utcnow()
    try:
        async with create_session_factory(engine)() as session, session.begin():
            found = await session.execute(
                select(Milestone, Plan.organisation_id).join(Plan, Milestone.plan_id == Plan.id)
            )
            milestones = list(found)
            officers: dict[int, int] = {}
            for organisation_id in sorted({city for _, city in milestones}):
                member = Member(
                    organisation_id=organisation_id,
                    role=Role.OFFICER,
                    display_name=f"เจ้าหน้าที่เมือง {organisation_id}",
                    status=MemberStatus.ACTIVE,
                )
                session.add(member)
                await session.flush()
                officers[organisation_id] = member.id
            rows = []
            for number, (milestone, city) in enumerate(milestones):
                final = (number * 37) % 101
                status, percent = MilestoneStatus.NOT_STARTED, 0
                for step in range(history):
                    before, before_percent = status, percent
                    percent = final * (step + 1) // history
                    status = _status_of(percent)
                    reported_at = now - timedelta(hours=(history - step) * 6, minutes=number)
                    rows.append(
                        {
                            "milestone_id": milestone.id,
                            "member_id": officers[city],
                            "status": status,
                            "percent": percent,
                            "previous_status": before,
                            "previous_percent": before_percent,
                            "note": f"รายงานครั้งที่ {step + 1}",
                            "reported_at": reported_at,
                        }
                    )
                milestone.status, milestone.percent = status, percent
                milestone.last_update_at = reported_at
                milestone.last_update_member_id = officers[city]
            await session.execute(insert(ProgressUpdate), rows)
    finally:
        await engine.dispose()


def _status_of(percent: int) -> MilestoneStatus:
    if percent == 100:
        return MilestoneStatus.DONE
    return MilestoneStatus.IN_PROGRESS if percent else MilestoneStatus.NOT_STARTED


def _command(url: str, *args: str) -> str:
    """`citybot …` in this process, as its console script runs it; what it printed."""
    os.environ["DATABASE_URL"] = url
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli(list(args), prog_name="citybot", standalone_mode=False)
    return out.getvalue()


def _timed(
    calls: dict[int, Callable[[], Any]], statements: Statements, rounds: int
) -> dict[int, tuple[float, int, Any]]:
    """Per history: median seconds per call, statements per call (the most any call sent), the
    last result. The histories take turns, call by call, so a busy moment of the machine
    falls on both rather than on one."""
    results = {history: call() for history, call in calls.items()}  # warm-up
    times: dict[int, list[float]] = {history: [] for history in calls}
    counts: dict[int, list[int]] = {history: [] for history in calls}
    for _ in range(rounds):
        for history, call in calls.items():
            with statements.counting():
                started = time.perf_counter()
                results[history] = call()
                times[history].append(time.perf_counter() - started)
            counts[history].append(statements.count)
    return {
        history: (statistics.median(times[history]), max(counts[history]), results[history])
        for history in calls
    }


@contextlib.contextmanager
def _overview(url: str) -> Iterator[Callable[[], list[service.CitySummary]]]:
    """`service.overview` on a session of one long-lived engine, as the bot would call it."""
    loop = asyncio.new_event_loop()
    engine = create_engine(url)
    sessions = create_session_factory(engine)

    async def once() -> list[service.CitySummary]:
        async with sessions() as session:
            return await service.overview(session=session, now=utcnow())

    try:
        yield lambda: loop.run_until_complete(once())
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


def _process(url: str) -> float:
    """Median wall time of `citybot progress show --format json` as its own process."""
    env = {**os.environ, "DATABASE_URL": url}
    times = []
    for _ in range(PROCESS_RUNS):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "progress", "show", "--format", "json"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _measure(kind: str, statements: Statements) -> list[list[str]]:
    """Both histories on `kind`: show, overview, then the workbook, each call by call in turn."""
    with contextlib.ExitStack() as stack:
        urls = {history: stack.enter_context(empty_database(kind)) for history in HISTORIES}
        for history, url in urls.items():
            _seed(url, history)
        show = _timed(
            {
                h: partial(_command, url, "progress", "show", "--format", "json")
                for h, url in urls.items()
            },
            statements,
            CALLS,
        )
        processes = {history: _process(url) for history, url in urls.items()}
        views = {h: stack.enter_context(_overview(url)) for h, url in urls.items()}
        overview = _timed(views, statements, CALLS)
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="citybot-")))
        report = _timed(
            {
                h: partial(
                    _command, url, "progress", "report", "--output", str(directory / f"{h}.xlsx")
                )
                for h, url in urls.items()
            },
            statements,
            1,
        )
        rows = []
        for history in HISTORIES:
            total = f"{history} × 140 = {history * 140:,}"
            took, sql, printed = show[history]
            rows.append(
                [kind, total, "`citybot progress show --format json`", seconds(took), str(sql),
                 f"{len(json.loads(printed))} records", seconds(processes[history])]
            )  # fmt: skip
            took, sql, ranked = overview[history]
            rows.append(
                [kind, total, "`service.overview` (depa's /progress)", seconds(took), str(sql),
                 f"{len(ranked)} cities", "—"]
            )  # fmt: skip
            took, sql, _ = report[history]
            size = (directory / f"{history}.xlsx").stat().st_size
            rows.append(
                [kind, total, "`citybot progress report` (lists every report)", seconds(took),
                 str(sql), f"{size / 1024:,.0f} KiB", "—"]
            )  # fmt: skip
    return rows


def measured(
    measure: Callable[[str, Statements], list[list[str]]], notes: list[str]
) -> list[list[str]]:
    """`measure`'s rows on each database kind this machine can measure, with every engine's
    statements counted meanwhile; DATABASE_URL (which `_command` sets) put back afterwards."""
    statements = Statements()
    event.listen(Engine, "before_cursor_execute", statements)
    rows: list[list[str]] = []
    saved = os.environ.get("DATABASE_URL")
    try:
        for kind in measurable_kinds(notes):
            rows.extend(measure(kind, statements))
    finally:
        event.remove(Engine, "before_cursor_execute", statements)
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved
    return rows


def run() -> Table:
    """Each database kind, each history length: the reads' time and statements per call."""
    notes: list[str] = []
    rows = measured(_measure, notes)
    return Table(
        title="Progress reads as the history grows",
        method=(
            "A fresh database (SQLite file; PostgreSQL database created for the run) with the "
            "content's 14 cities × 10 milestones and, written in bulk, 20 or 200 reports per "
            "milestone (2,800 or 28,000 progress_updates), each milestone moved to its latest. "
            "In this process: `citybot progress show --format json` as the console script runs "
            "it (settings, its own engine and connection, one transaction, JSON to stdout) and "
            "`handlers.progress.service.overview` on a session of a long-lived engine, "
            f"median of {CALLS} calls after a warm-up, the two histories taking turns; SQL "
            "statements counted per call by a SQLAlchemy `before_cursor_execute` listener (the "
            f"most any call sent). `as a process`: median of {PROCESS_RUNS} runs of `python -m "
            "bot progress show --format json`, interpreter start-up included. The workbook, one "
            "call, is there for scale: it lists every report, so it grows with them by design."
        ),
        columns=[
            "database",
            "reports (per milestone × milestones)",
            "call",
            "time per call",
            "SQL statements per call",
            "output",
            "as a process",
        ],
        rows=rows,
        notes=[
            *notes,
            "show and overview read each milestone's own latest state (status, percent, last "
            "update, last reporter) with one query joining plans, cities and members; the "
            "reports table is not read.",
            "The workbook's time goes mostly to openpyxl writing the sheets' XML in pure Python "
            "(lxml, which it would use, is not a dependency): about 0.5 ms per report listed.",
        ],
    )
