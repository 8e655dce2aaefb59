"""Issue 11 D5: a killed worker's messages go on within seconds; a live worker's stay its own."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from bot.core.clock import Clock, FrozenClock, SystemClock
from bot.core.replies import Text
from bot.core.settling import reply_payload
from bot.delivery.worker import DEFAULT_LEASE, OutboxWorker
from bot.settings import Settings
from db.enums import Channel, OutboxStatus
from db.models import OutboundMessage
from db.repositories import outbox as outbox_repo
from tests.chaos import claimed_then_killed
from tests.conftest import Database
from tests.delivery.test_worker import SlowChannel
from tests.fakes.recording_channel import RecordingChannel


async def _enqueue(database: Database, clock: Clock, chats: int) -> None:
    drafts = [
        outbox_repo.Draft(
            channel=Channel.CONSOLE,
            recipients=[f"chat-{n}"],
            payload=reply_payload([Text(text=f"message {n}")], {}),
            idempotency_key=f"recovery:{n}",
        )
        for n in range(chats)
    ]
    async with database.sessions() as session, session.begin():
        await outbox_repo.enqueue_many(session=session, drafts=drafts, now=clock.now())


async def test_issue11_d5_a_killed_workers_messages_go_on_within_30_seconds(
    database: Database, clock: FrozenClock
) -> None:
    """Claimed by a worker that died: the next worker sends them once the 15 s lease is out."""
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]  # pydantic-settings' own
    assert defaults.citybot_outbox_lease_seconds == DEFAULT_LEASE.total_seconds()
    await _enqueue(database, clock, chats=5)
    assert len(await claimed_then_killed(database.sessions, clock.now())) == 5
    channel = RecordingChannel()
    restarted = OutboxWorker(
        sessions=database.sessions, adapters={Channel.CONSOLE: channel}, clock=clock
    )
    clock.advance(timedelta(seconds=5))
    assert await restarted.deliver_due() == 0  # the lease may belong to a live worker
    clock.advance(DEFAULT_LEASE)
    assert await restarted.deliver_due() == 5
    assert sorted(d.recipients[0] for d in channel.sent) == [f"chat-{n}" for n in range(5)]
    assert {d.attempt for d in channel.sent} == {2}


async def test_a_message_whose_lease_was_taken_over_is_not_sent(database: Database) -> None:
    """A stalled worker learns at its renewal that another took a waiting message: it skips it."""
    clock = SystemClock()
    await _enqueue(database, clock, chats=2)
    channel = SlowChannel(seconds=0.8)  # one at a time: the second waits behind the first
    worker = OutboxWorker(
        sessions=database.sessions,
        adapters={Channel.CONSOLE: channel},
        clock=clock,
        lease=timedelta(seconds=0.3),
        concurrency=1,
    )

    async def take_over() -> None:
        await asyncio.sleep(0.2)
        async with database.sessions() as session, session.begin():
            await session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.chat_key == "chat-1")
                .values(claimed_until=clock.now() + timedelta(hours=1))
            )

    sent, _ = await asyncio.gather(worker.deliver_due(), take_over())
    assert sent == 2  # claimed two…
    assert [d.recipients[0] for d in channel.sent] == ["chat-0"]  # …and sent only its own
    async with database.sessions() as session:
        counts = await outbox_repo.count_by_status(session=session)
    assert counts == {OutboxStatus.SENT: 1, OutboxStatus.SENDING: 1}
