"""Issue 11: the inbox waits out outages, gives bugs a few tries, and never leaves a row stuck."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import FrozenClock, SystemClock
from bot.core.dispatcher import Dispatcher
from bot.core.events import Event
from bot.core.failures import InboxRetries, is_transient
from bot.core.inbox import CLAIM_LEASE, InboxProcessor
from bot.core.replies import Text
from bot.delivery.notices import alert_dead_letter
from bot.delivery.retry import RetryPolicy
from db.enums import Channel, InboxStatus, Role
from db.models import InboundEvent
from db.repositories.inbox import InboxItem, claim_pending
from db.session import create_engine
from handlers import ROUTERS
from tests.chatdriver import ChatDriver
from tests.conftest import Database
from tests.core.test_pipeline import Pipeline, texts_sent
from tests.factories import dispatcher_with_a_bug
from tests.fakes.recording_channel import RecordingChannel
from tests.serving import free_port

APOLOGY_START = "ขออภัย"


class OutageFirst(async_sessionmaker[AsyncSession]):
    """Sessions whose first one is on a database that cannot be opened, the rest on the real one.

    The failure is the driver's own (SQLite cannot open a file in a missing directory), raised
    where a database restarting under the bot would raise it: on the transaction's first use.
    """

    def __init__(self, real: async_sessionmaker[AsyncSession], unreachable: Path) -> None:
        super().__init__(real.kw["bind"], expire_on_commit=False)
        self.unreachable = create_engine(f"sqlite+aiosqlite:///{unreachable}")
        self._outage = async_sessionmaker(self.unreachable)
        self.failed = False

    def __call__(self, **local_kw: Any) -> AsyncSession:
        if self.failed:
            return super().__call__(**local_kw)
        self.failed = True
        return self._outage(**local_kw)


async def _row(db: Database, key: str) -> InboundEvent:
    async with db.sessions() as session:
        row = await session.scalar(select(InboundEvent).where(InboundEvent.event_key == key))
    assert row is not None
    return row


async def test_issue11_d3_a_database_outage_gets_the_real_answer_on_the_retry(
    seeded_database: Database, dispatcher: Dispatcher, clock: FrozenClock, tmp_path: Path
) -> None:
    """The first try meets a database it cannot open: no apology, no try used, then the answer."""
    sessions = OutageFirst(seeded_database.sessions, tmp_path / "gone" / "citybot.db")
    flaky = Dispatcher(sessions=sessions, routers=ROUTERS, services=dispatcher.services)
    pipeline = Pipeline(seeded_database, flaky, clock, RetryPolicy())

    await pipeline.ingest("d3", user="u-d3", text="/lang en")
    await pipeline.run()

    assert sessions.failed
    assert texts_sent(pipeline) == []
    waiting = await _row(seeded_database, "d3")
    assert (waiting.status, waiting.attempts, waiting.failures) == (InboxStatus.PENDING, 1, 0)
    assert "unable to open database file" in (waiting.last_error or "")
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=1)

    clock.advance(timedelta(seconds=1))
    await pipeline.run()

    assert texts_sent(pipeline) == ["Language set to English."]
    assert (await _row(seeded_database, "d3")).status is InboxStatus.DONE
    await sessions.unreachable.dispose()


def test_issue11_d3_outages_are_transient_and_bugs_are_not(tmp_path: Path) -> None:
    """Real errors: a locked SQLite file and a refused connection are transient; a bad
    statement, a constraint violation and a handler bug are not."""
    path = tmp_path / "locked.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError) as locked, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (2)"))
    holder.rollback()
    with pytest.raises(OperationalError) as no_table, engine.begin() as connection:
        connection.execute(text("SELECT * FROM missing"))
    with pytest.raises(IntegrityError) as duplicate, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
    holder.close()
    engine.dispose()
    with pytest.raises(ConnectionRefusedError) as refused, socket.socket() as probe:
        probe.connect(("127.0.0.1", free_port()))

    assert "database is locked" in str(locked.value)
    assert is_transient(locked.value)
    assert is_transient(refused.value)
    wrapped = RuntimeError("profile not fetched")
    wrapped.__cause__ = refused.value
    assert is_transient(wrapped)
    assert not is_transient(no_table.value)
    assert not is_transient(duplicate.value)
    assert not is_transient(RuntimeError("bug"))


async def test_issue11_d4_an_event_whose_worker_keeps_dying_ends_dead_with_one_apology(
    seeded_database: Database, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """Abandoned by three killed workers, an event is not tried a fourth time: dead, one sorry."""
    pipeline = Pipeline(seeded_database, dispatcher, clock, RetryPolicy())
    await pipeline.ingest("poison", user="u-poison", text="/lang en")
    for _ in range(3):
        async with seeded_database.sessions() as session, session.begin():  # dies holding it
            assert len(await claim_pending(session=session, limit=5, now=clock.now())) == 1
        clock.advance(CLAIM_LEASE + timedelta(seconds=1))
        assert await pipeline.inbox.requeue_stale() == 1

    await pipeline.run()
    await pipeline.run_retries(clock)

    (apology,) = texts_sent(pipeline)
    assert apology.startswith(APOLOGY_START)
    dead = await _row(seeded_database, "poison")
    assert (dead.status, dead.attempts, dead.failures) == (InboxStatus.DEAD, 4, 3)
    assert (dead.last_error or "").startswith("WorkerStopped")


async def test_issue11_d4_an_event_with_ids_nobody_can_store_ends_dead_not_stuck(
    seeded_database: Database, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """An id longer than any column is checked before use: tried, then dead, never processing."""
    pipeline = Pipeline(seeded_database, dispatcher, clock, RetryPolicy())
    await pipeline.ingest("long-id", user="u" * 300, text="/help")

    await pipeline.run_retries(clock)

    dead = await _row(seeded_database, "long-id")
    assert (dead.status, dead.failures) == (InboxStatus.DEAD, 3)
    assert (dead.last_error or "").startswith("InvalidEvent: the sender's id")
    assert pipeline.channel.sent == []  # no chat id we could answer on


async def test_issue11_admins_hear_of_dead_events_once_an_hour_per_kind(
    seeded_database: Database,
    dispatcher: Dispatcher,
    clock: FrozenClock,
    register: Any,
) -> None:
    """Two messages die of the same bug: two apologies, one alert; an hour on, one more."""
    admin: ChatDriver = await register("depa", Role.ADMIN)
    failing = dispatcher_with_a_bug(dispatcher, seeded_database.sessions)
    pipeline = Pipeline(seeded_database, failing, clock, RetryPolicy())

    async def alert(session: AsyncSession, kind: str, reason: str) -> None:
        await alert_dead_letter(
            session=session,
            texts=dispatcher.services.texts,
            kind=kind,
            reason=reason,
            channels=[Channel.CONSOLE],
            now=clock.now(),
        )

    pipeline.inbox = InboxProcessor(
        engine=seeded_database.engine,
        sessions=seeded_database.sessions,
        dispatcher=failing,
        adapters={Channel.CONSOLE: pipeline.channel},
        clock=clock,
        on_dead_letter=alert,
        retries=InboxRetries(max_attempts=1),
    )

    def alerts() -> list[str]:
        return [
            reply.text
            for delivery in pipeline.channel.sent
            if list(delivery.recipients) == [admin.user_id]
            for reply in delivery.replies
            if isinstance(reply, Text)
        ]

    await pipeline.ingest("b1", user="u-one", text="/boom")
    await pipeline.ingest("b2", user="u-two", text="/boom")
    await pipeline.run()
    (first,) = alerts()
    assert "RuntimeError: bug" in first and "citybot inbox dead" in first
    assert sum(sent.startswith(APOLOGY_START) for sent in texts_sent(pipeline)) == 2

    clock.advance(timedelta(minutes=59))
    await pipeline.ingest("b3", user="u-three", text="/boom")
    await pipeline.run()
    assert len(alerts()) == 1
    clock.advance(timedelta(minutes=2))
    await pipeline.ingest("b4", user="u-four", text="/boom")
    await pipeline.run()
    assert len(alerts()) == 2


class SlowProfiles(RecordingChannel):
    """A channel whose profile lookup before handling takes until `release` (a slow API)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = asyncio.Event(), asyncio.Event()

    async def enrich(self, event: Event) -> Event:
        """`event` as is, once released."""
        self.entered.set()
        await self.release.wait()
        return event


async def test_issue11_a_live_workers_claims_are_renewed_and_a_dead_ones_recovered_in_a_lease(
    seeded_database: Database, dispatcher: Dispatcher
) -> None:
    """With a 0.6 s lease: an event slower than it keeps its claim against another process's
    recovery; a row a killed process held is answered by a new process within about a lease."""
    lease = timedelta(seconds=0.6)
    channel = SlowProfiles()

    def processor() -> InboxProcessor:
        return InboxProcessor(
            engine=seeded_database.engine,
            sessions=seeded_database.sessions,
            dispatcher=dispatcher,
            adapters={Channel.CONSOLE: channel},
            clock=SystemClock(),
            lease=lease,
            poll_interval=0.05,
        )

    working, other = processor(), processor()
    await working.ingest(Channel.CONSOLE, [InboxItem("slow", {"user": "u-s", "text": "/help"})])
    batch = asyncio.create_task(working.process_available())
    await asyncio.wait_for(channel.entered.wait(), timeout=10)
    for _ in range(5):
        await asyncio.sleep(lease.total_seconds() / 2)
        assert await other.requeue_stale() == 0
    channel.release.set()
    assert await batch == 1
    slow = await _row(seeded_database, "slow")
    assert (slow.status, slow.attempts, slow.failures) == (InboxStatus.DONE, 1, 0)

    await other.ingest(Channel.CONSOLE, [InboxItem("orphan", {"user": "u-o", "text": "/help"})])
    async with seeded_database.sessions() as session, session.begin():  # a process then killed
        await claim_pending(session=session, limit=5, now=SystemClock().now())
    restarted = asyncio.create_task(other.run())
    started = asyncio.get_running_loop().time()
    while (await _row(seeded_database, "orphan")).status is not InboxStatus.DONE:
        assert asyncio.get_running_loop().time() - started < 10 * lease.total_seconds()
        await asyncio.sleep(0.05)
    other.stop()
    await asyncio.wait_for(restarted, timeout=10)
    orphan = await _row(seeded_database, "orphan")
    assert (orphan.attempts, orphan.failures) == (2, 1)


async def test_issue11_every_sqlite_connection_waits_for_the_lock_in_wal_mode(
    tmp_path: Path,
) -> None:
    """busy_timeout and WAL hold on each connection, as the group commit's driver sees it."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}")
    async with engine.connect() as first, engine.connect() as second:
        for connection in (first, second):
            # What commit_events writes through: the driver's own connection.
            driver: Any = (await connection.get_raw_connection()).driver_connection
            settings = []
            for pragma in ("busy_timeout", "journal_mode"):
                cursor = await driver.execute(f"PRAGMA {pragma}")
                settings.append((await cursor.fetchone())[0])
            assert settings == [10000, "wal"]
    await engine.dispose()
