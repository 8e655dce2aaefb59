"""Outbox workers: several at once deliver each message exactly once, in order per chat."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.channel import Delivery, Outcome, SendResult
from bot.core.clock import Clock, FrozenClock, SystemClock
from bot.core.replies import Text
from bot.core.settling import reply_payload
from bot.delivery.retry import RetryPolicy
from bot.delivery.worker import OutboxWorker
from db.enums import Channel, OutboxStatus
from db.models import OutboundMessage
from db.repositories.outbox import enqueue
from db.session import create_engine, create_session_factory
from tests.conftest import Database
from tests.fakes.recording_channel import RecordingChannel


class SlowChannel(RecordingChannel):
    """Takes a moment per send, so workers really overlap."""

    def __init__(self, seconds: float = 0.002) -> None:
        super().__init__()
        self.seconds = seconds

    async def send(self, delivery: Delivery) -> SendResult:
        """Record after a pause."""
        await asyncio.sleep(self.seconds)
        return await super().send(delivery)


async def _enqueue(db: Database, clock: Clock, count: int, chats: int) -> None:
    async with db.sessions() as session, session.begin():
        for index in range(count):
            await enqueue(
                session=session,
                channel=Channel.CONSOLE,
                recipients=[f"chat-{index % chats}"],
                payload=reply_payload([Text(text=f"message {index}")], {}),
                idempotency_key=f"test:{index}",
                now=clock.now(),
            )


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_three_workers_deliver_each_message_once(
    database: Database, clock: FrozenClock
) -> None:
    """Three workers, each with its own connection pool, share 300 messages without doubles."""
    await _enqueue(database, clock, count=300, chats=30)
    channel = SlowChannel()
    engines = [create_engine(database.url) for _ in range(3)]
    workers = [
        OutboxWorker(
            sessions=create_session_factory(engine),
            adapters={Channel.CONSOLE: channel},
            clock=clock,
            batch_size=20,
        )
        for engine in engines
    ]

    async def drain(worker: OutboxWorker) -> None:
        while await worker.deliver_due():
            pass

    await asyncio.gather(*(drain(worker) for worker in workers))
    for engine in engines:
        await engine.dispose()
    texts = [d.replies[0].text for d in channel.sent if isinstance(d.replies[0], Text)]
    assert len(texts) == 300
    assert len(set(texts)) == 300
    for chat in range(30):  # each chat's messages arrived in the order they were queued
        numbers = [
            int(d.replies[0].text.split()[1])  # type: ignore[union-attr]
            for d in channel.sent
            if d.recipients == (f"chat-{chat}",)
        ]
        assert numbers == sorted(numbers)
    async with database.sessions() as session:
        sent = await session.scalar(
            select(func.count()).where(OutboundMessage.status == OutboxStatus.SENT)
        )
    assert sent == 300


async def test_failed_sends_keep_the_platform_reason(
    database: Database, clock: FrozenClock
) -> None:
    """A refusal is settled as failed with the platform's words, not retried."""
    await _enqueue(database, clock, count=1, chats=1)
    channel = RecordingChannel()
    channel.outcomes.append(SendResult(Outcome.FAILED, error="400 Bad Request: chat not found"))
    worker = OutboxWorker(
        sessions=database.sessions, adapters={Channel.CONSOLE: channel}, clock=clock
    )
    assert await worker.deliver_due() == 1
    assert await worker.deliver_due() == 0
    async with database.sessions() as session:
        row = await session.scalar(select(OutboundMessage))
    assert row is not None and row.status is OutboxStatus.FAILED
    assert row.last_error == "400 Bad Request: chat not found"


@pytest.mark.parametrize(
    ("retry_after", "expected"), [(3.0, OutboxStatus.PENDING), (None, OutboxStatus.DEAD)]
)
async def test_being_throttled_does_not_use_up_the_retries(
    database: Database, clock: FrozenClock, retry_after: float | None, expected: OutboxStatus
) -> None:
    """A 429 with retry_after on the last ordinary attempt waits as told; a failure gives up."""
    await _enqueue(database, clock, count=1, chats=1)
    channel = RecordingChannel()
    policy = RetryPolicy(max_attempts=1)
    channel.outcomes.append(SendResult(Outcome.RETRY, error="429", retry_after=retry_after))
    worker = OutboxWorker(
        sessions=database.sessions, adapters={Channel.CONSOLE: channel}, clock=clock, policy=policy
    )
    assert await worker.deliver_due() == 1
    async with database.sessions() as session:
        row = await session.scalar(select(OutboundMessage))
    assert row is not None
    assert (row.status, row.attempts) == (expected, 1)
    if retry_after is not None:
        assert row.next_attempt_at == clock.now() + timedelta(seconds=retry_after)


async def test_a_batch_slower_than_its_lease_keeps_its_messages(database: Database) -> None:
    """A worker renews its lease while it sends, so a second worker never takes over its batch."""
    clock = SystemClock()
    await _enqueue(database, clock, count=4, chats=4)
    channel = SlowChannel(seconds=0.4)  # one at a time: the batch takes 1.6 s, the lease 0.6 s
    lease = timedelta(seconds=0.6)
    busy, watching = (
        OutboxWorker(
            sessions=database.sessions,
            adapters={Channel.CONSOLE: channel},
            clock=clock,
            lease=lease,
            concurrency=concurrency,
        )
        for concurrency in (1, 32)
    )

    async def watch() -> int:
        taken = 0
        for _ in range(20):
            await asyncio.sleep(0.1)
            taken += await watching.deliver_due()
        return taken

    sent, taken = await asyncio.gather(busy.deliver_due(), watch())
    assert (sent, taken) == (4, 0)
    assert sorted(d.recipients[0] for d in channel.sent) == [f"chat-{n}" for n in range(4)]


async def test_a_slow_platform_does_not_hold_up_another(
    database: Database, clock: FrozenClock
) -> None:
    """Telegram messages queued first, sent slowly; the LINE one behind them goes at once."""
    log: list[str] = []
    all_sent = asyncio.Event()

    class Logged(SlowChannel):
        def __init__(self, name: str, seconds: float) -> None:
            super().__init__(seconds)
            self.name = name

        async def send(self, delivery: Delivery) -> SendResult:
            result = await super().send(delivery)
            log.append(self.name)
            if len(log) == 5:
                all_sent.set()
            return result

    async with database.sessions() as session, session.begin():
        for index, channel in enumerate([Channel.TELEGRAM] * 4 + [Channel.LINE]):
            await enqueue(
                session=session,
                channel=channel,
                recipients=[f"chat-{index}"],
                payload=reply_payload([Text(text=f"message {index}")], {}),
                idempotency_key=f"test:{index}",
                now=clock.now(),
            )
    worker = OutboxWorker(
        sessions=database.sessions,
        adapters={Channel.TELEGRAM: Logged("telegram", 0.3), Channel.LINE: Logged("line", 0)},
        clock=clock,
        concurrency=1,
    )
    running = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(all_sent.wait(), timeout=30)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert log[0] == "line"
    assert log[1:] == ["telegram"] * 4
