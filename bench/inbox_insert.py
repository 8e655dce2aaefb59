"""How fast webhook events become durable inbox rows: `commit_events`, one commit per batch."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from bench.databases import empty_database, measurable_kinds, postgres_settings
from bench.load import median_run
from bench.report import Table, rate, seconds
from db.base import utcnow
from db.enums import Channel
from db.migrate import upgrade
from db.repositories.inbox import InboxItem, commit_events
from db.session import create_engine

ROWS = 2000
REPEATS = 3
TIME_LIMIT_SECONDS = 10.0
# (events per commit, redelivered): the webhook path commits each delivery before answering 200.
CASES = ((1, False), (50, False), (50, True))


def _line_message_event(key: str) -> InboxItem:
    """A text message event shaped like LINE's webhook payload (about 600 bytes of JSON)."""
    return InboxItem(
        event_key=key,
        payload={
            "type": "message",
            "mode": "active",
            "timestamp": 1764000000000,
            "webhookEventId": key,
            "deliveryContext": {"isRedelivery": False},
            "replyToken": uuid.uuid4().hex,
            "source": {"type": "user", "userId": "U" + uuid.uuid4().hex},
            "message": {
                "id": str(uuid.uuid4().int)[:18],
                "type": "text",
                "quoteToken": uuid.uuid4().hex * 2,
                "text": "อัปเดตความคืบหน้า แผนพัฒนาเมืองอัจฉริยะ ด้านการเดินทางและขนส่ง 60%",
            },
        },
        occurred_at=utcnow() - timedelta(milliseconds=300),
    )


async def _measure(url: str, batch: int, redelivered: bool) -> tuple[int, int, float]:
    """Events offered, commits and seconds for up to ROWS events in batches of `batch`."""
    engine = create_engine(url)

    async def commit(keys: list[str]) -> int:
        events = [_line_message_event(key) for key in keys]
        return await commit_events(engine=engine, channel=Channel.LINE, events=events)

    try:
        keys = [uuid.uuid4().hex for _ in range(ROWS)]
        if redelivered:  # every event is already stored: the cost of a platform retry storm
            await commit(keys)
        await commit(["warm-up"])  # the pool and the statement caches
        offered = commits = 0
        started = time.perf_counter()
        for start in range(0, ROWS, batch):
            chunk = keys[start : start + batch]
            stored = await commit(chunk)
            if stored != (0 if redelivered else len(chunk)):
                raise RuntimeError(f"stored {stored} of {len(chunk)} events")
            offered += len(chunk)
            commits += 1
            if time.perf_counter() - started > TIME_LIMIT_SECONDS:
                break
        return offered, commits, time.perf_counter() - started
    finally:
        await engine.dispose()


def run() -> Table:
    """Events per second into the inbox on SQLite (WAL) and PostgreSQL, per batch size."""
    rows: list[list[str]] = []
    notes: list[str] = []
    for kind in measurable_kinds(notes):
        if kind == "postgres":
            shown = postgres_settings("fsync", "synchronous_commit", "wal_sync_method")
            notes.append(
                "PostgreSQL server settings: "
                + ", ".join(f"{name}={value}" for name, value in shown.items())
                + " (a commit waits for the WAL flush when both are on); TCP on loopback."
            )
        for batch, redelivered in CASES:
            runs = []
            for _ in range(REPEATS):
                with empty_database(kind) as url:
                    upgrade(url)
                    runs.append(asyncio.run(_measure(url, batch, redelivered)))
            offered, commits, elapsed = median_run(runs, key=lambda run: run[0] / run[2])
            rows.append(
                [
                    kind,
                    str(batch),
                    "all duplicates" if redelivered else "new",
                    f"{offered:,}",
                    seconds(elapsed),
                    rate(offered / elapsed),
                    rate(commits / elapsed),
                ]
            )
    return Table(
        title="Inbox insert rate",
        method=(
            f"Up to {ROWS:,} LINE-shaped text events (about 600 bytes of JSON each) go through "
            "`db.repositories.inbox.commit_events`, the webhook's write (INSERT … ON CONFLICT "
            "DO NOTHING at the driver, then its commit), one commit per batch, as the webhook "
            "does before it answers 200. "
            "Batches of 1 are the usual webhook; 50 is a busy group chat. `all duplicates` "
            "re-sends events already stored (a platform redelivering). Each case stops after "
            f"{TIME_LIMIT_SECONDS:.0f} s. One process, one connection at a time; the run with "
            f"the median rate of {REPEATS} fresh databases per case."
        ),
        columns=["database", "per commit", "offered", "events", "time", "events/s", "commits/s"],
        rows=rows,
        notes=[
            "SQLite runs as the bot configures it: WAL journal, synchronous=NORMAL (a commit is "
            "durable against a process crash, not against power loss until the next checkpoint).",
            *notes,
        ],
    )
