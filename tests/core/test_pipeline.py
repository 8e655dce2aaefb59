"""Inbox → dispatcher → outbox → adapter, with a recording adapter behind the real port."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.authz import ANYONE
from bot.core.channel import Outcome, SendResult
from bot.core.clock import FrozenClock
from bot.core.context import Context, Services
from bot.core.dispatcher import Dispatcher
from bot.core.events import Event
from bot.core.inbox import InboxProcessor
from bot.core.replies import Reply, Text
from bot.core.router import Router
from bot.delivery.retry import RetryPolicy
from bot.delivery.worker import OutboxWorker
from db.enums import Channel, InboxStatus, OutboxStatus
from db.models import Identity, InboundEvent, OutboundMessage
from db.repositories.inbox import InboxItem, claim_pending, requeue_stale
from db.repositories.outbox import claim_due
from tests.conftest import Database
from tests.factories import dispatcher_with, dispatcher_with_a_bug
from tests.fakes.recording_channel import RecordingChannel


class Pipeline:
    """The inbox processor and outbox worker around one recording channel."""

    def __init__(
        self,
        db: Database,
        dispatcher: Dispatcher,
        clock: FrozenClock,
        policy: RetryPolicy,
        *,
        handing_over: bool = False,
    ) -> None:
        self.db = db
        self.channel = RecordingChannel()
        adapters = {Channel.CONSOLE: self.channel}
        self.outbox = OutboxWorker(
            sessions=db.sessions, adapters=adapters, clock=clock, policy=policy
        )
        self.inbox = InboxProcessor(
            engine=db.engine,
            sessions=db.sessions,
            dispatcher=dispatcher,
            adapters=adapters,
            clock=clock,
            hand_over=self.outbox.hand_over if handing_over else None,
        )

    async def ingest(self, key: str, **payload: object) -> int:
        """Store one event as a webhook would."""
        return await self.inbox.ingest(Channel.CONSOLE, [InboxItem(key, dict(payload))])

    async def run(self) -> None:
        """Process and send everything due now."""
        while True:
            handled = await self.inbox.process_available()
            await self.outbox.sent()
            if not handled + await self.outbox.deliver_due():
                return

    async def run_retries(self, clock: FrozenClock, rounds: int = 4) -> None:
        """Run, then let the retry waits pass and run again, `rounds` times."""
        for _ in range(rounds):
            await self.run()
            clock.advance(timedelta(minutes=5))

    async def rows(self, model: type[InboundEvent] | type[OutboundMessage]) -> list[object]:
        """Every row of the inbox or outbox, oldest first."""
        async with self.db.sessions() as session:
            return list(await session.scalars(select(model).order_by(model.id)))


@pytest.fixture(params=["queued", "handed-over"])
def pipeline(
    request: pytest.FixtureRequest,
    seeded_database: Database,
    dispatcher: Dispatcher,
    clock: FrozenClock,
) -> Pipeline:
    """A pipeline whose messages get two attempts before they are dead: its answers queued for
    the outbox worker, or handed over to be sent the moment their batch commits (as served)."""
    return Pipeline(
        seeded_database,
        dispatcher,
        clock,
        RetryPolicy(max_attempts=2),
        handing_over=request.param == "handed-over",
    )


def texts_sent(pipeline: Pipeline) -> list[str]:
    """The text of each reply sent, in order."""
    return [
        reply.text
        for delivery in pipeline.channel.sent
        for reply in delivery.replies
        if isinstance(reply, Text)
    ]


async def test_event_goes_through_to_a_sent_reply(pipeline: Pipeline) -> None:
    """A stored event is handled, its replies queued and sent, both rows settled."""
    assert await pipeline.ingest("e1", user="u1", text="/lang en") == 1
    await pipeline.run()
    assert texts_sent(pipeline) == ["Language set to English."]
    assert pipeline.channel.sent[0].context == {"answering": "/lang en"}
    inbox = await pipeline.rows(InboundEvent)
    outbox = await pipeline.rows(OutboundMessage)
    assert [row.status for row in inbox] == [InboxStatus.DONE]  # type: ignore[attr-defined]
    assert [row.status for row in outbox] == [OutboxStatus.SENT]  # type: ignore[attr-defined]


async def test_duplicates_are_handled_once(pipeline: Pipeline) -> None:
    """The same event key stored twice, even across runs, is one row and one reply."""
    await pipeline.ingest("dup", user="u1", text="/lang en")
    assert await pipeline.ingest("dup", user="u1", text="/lang en") == 0
    await pipeline.run()
    assert await pipeline.ingest("dup", user="u1", text="/lang en") == 0
    await pipeline.run()
    assert len(pipeline.channel.sent) == 1


async def test_events_of_one_chat_are_answered_in_order(pipeline: Pipeline) -> None:
    """Three messages from one person get their answers in the same order."""
    for index, text in enumerate(["/lang en", "/lang th", "/lang en"]):
        await pipeline.ingest(f"o{index}", user="u1", text=text)
    await pipeline.run()
    assert texts_sent(pipeline) == [
        "Language set to English.",
        "เปลี่ยนเป็นภาษาไทยแล้ว",
        "Language set to English.",
    ]


async def test_malformed_and_standby_rows_do_not_stop_the_rest(
    pipeline: Pipeline, clock: FrozenClock
) -> None:
    """An unreadable row ends dead after its tries, a standby row done, the good one answered."""
    await pipeline.ingest("bad", nonsense=True)
    await pipeline.ingest("standby", standby=True)
    await pipeline.ingest("good", user="u2", text="/lang en")
    await pipeline.run()
    assert texts_sent(pipeline) == ["Language set to English."]
    await pipeline.run_retries(clock)
    rows = {row.event_key: row for row in await pipeline.rows(InboundEvent)}  # type: ignore[attr-defined]
    assert {key: row.status for key, row in rows.items()} == {
        "bad": InboxStatus.DEAD,
        "standby": InboxStatus.DONE,
        "good": InboxStatus.DONE,
    }
    assert (rows["bad"].attempts, rows["bad"].failures) == (3, 3)
    assert texts_sent(pipeline) == ["Language set to English."]  # nobody to apologise to


async def test_events_left_in_progress_by_a_crash_are_handled_after_restart(
    pipeline: Pipeline, seeded_database: Database, clock: FrozenClock
) -> None:
    """A row claimed by a process that died goes back to pending and is answered once."""
    await pipeline.ingest("crash", user="u3", text="/lang en")
    async with seeded_database.sessions() as session, session.begin():
        assert len(await claim_pending(session=session, limit=10, now=clock.now())) == 1
    await pipeline.run()
    assert pipeline.channel.sent == []  # still claimed by the "dead" process
    clock.advance(timedelta(minutes=5))
    async with seeded_database.sessions() as session, session.begin():
        requeued = await requeue_stale(
            session=session, older_than=clock.now() - timedelta(minutes=2), reason="stopped"
        )
    assert requeued == 1
    await pipeline.run()
    assert texts_sent(pipeline) == ["Language set to English."]


async def test_a_failing_handler_is_tried_three_times_then_apologises_once(
    seeded_database: Database, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """A handler bug is retried, then the row is dead and the person gets one apology."""
    failing = dispatcher_with_a_bug(dispatcher, seeded_database.sessions)
    pipeline = Pipeline(seeded_database, failing, clock, RetryPolicy())
    await pipeline.ingest("b1", user="u4", text="/boom")
    await pipeline.run()
    assert texts_sent(pipeline) == []  # not yet: it may work on the next try
    (row,) = await pipeline.rows(InboundEvent)
    assert (row.status, row.failures) == (InboxStatus.PENDING, 1)  # type: ignore[attr-defined]
    await pipeline.run_retries(clock)
    (apology,) = texts_sent(pipeline)
    assert "ขออภัย" in apology
    (row,) = await pipeline.rows(InboundEvent)
    assert row.status is InboxStatus.DEAD and "RuntimeError: bug" in (row.last_error or "")  # type: ignore[attr-defined]
    assert row.attempts == 3  # type: ignore[attr-defined]


async def test_retry_waits_exactly_what_the_platform_asked(
    pipeline: Pipeline, clock: FrozenClock
) -> None:
    """A RETRY with retry_after=7 is tried again 7 s later, then sent."""
    pipeline.channel.outcomes.append(SendResult(Outcome.RETRY, error="429", retry_after=7))
    await pipeline.ingest("r1", user="u5", text="/lang en")
    await pipeline.run()
    (row,) = await pipeline.rows(OutboundMessage)
    assert row.status is OutboxStatus.PENDING  # type: ignore[attr-defined]
    assert row.next_attempt_at == clock.now() + timedelta(seconds=7)  # type: ignore[attr-defined]
    clock.advance(timedelta(seconds=6))
    await pipeline.run()
    assert len(pipeline.channel.sent) == 1
    clock.advance(timedelta(seconds=1))
    await pipeline.run()
    (row,) = await pipeline.rows(OutboundMessage)
    assert row.status is OutboxStatus.SENT and row.attempts == 2  # type: ignore[attr-defined]


async def test_a_message_that_keeps_failing_ends_dead_not_lost(
    pipeline: Pipeline, clock: FrozenClock
) -> None:
    """After its last attempt a message is marked dead with the last error."""
    pipeline.channel.outcomes.extend(
        [SendResult(Outcome.RETRY, error="500 one"), SendResult(Outcome.RETRY, error="500 two")]
    )
    await pipeline.ingest("d1", user="u6", text="/lang en")
    await pipeline.run()
    clock.advance(timedelta(minutes=20))
    await pipeline.run()
    (row,) = await pipeline.rows(OutboundMessage)
    assert row.status is OutboxStatus.DEAD and row.last_error == "500 two"  # type: ignore[attr-defined]


async def test_blocked_marks_the_identity(pipeline: Pipeline, seeded_database: Database) -> None:
    """A BLOCKED outcome settles the message as blocked and blocks the chat account."""
    pipeline.channel.outcomes.append(SendResult(Outcome.BLOCKED, error="blocked by the user"))
    await pipeline.ingest("x1", user="u7", text="/lang en")
    await pipeline.run()
    (row,) = await pipeline.rows(OutboundMessage)
    assert row.status is OutboxStatus.BLOCKED  # type: ignore[attr-defined]
    async with seeded_database.sessions() as session:
        identity = await session.scalar(select(Identity).where(Identity.external_id == "u7"))
    assert identity is not None and identity.blocked


async def test_a_dead_workers_lease_runs_out_and_another_sends(
    seeded_database: Database, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """A message claimed by a worker that died is sent by another once the lease has passed.

    (An answer handed over is claimed as it is stored: tests/channels/line/test_recovery.py
    kills the process holding it.)
    """
    pipeline = Pipeline(seeded_database, dispatcher, clock, RetryPolicy(max_attempts=2))
    await pipeline.ingest("l1", user="u8", text="/lang en")
    await pipeline.inbox.process_available()
    async with seeded_database.sessions() as session, session.begin():  # the worker that dies
        claimed = await claim_due(
            session=session,
            now=clock.now(),
            lease_until=clock.now() + timedelta(seconds=30),
            limit=5,
        )
    assert len(claimed) == 1
    await pipeline.run()
    assert pipeline.channel.sent == []
    clock.advance(timedelta(seconds=31))
    await pipeline.run()
    assert texts_sent(pipeline) == ["Language set to English."]


async def test_a_paused_channel_is_reported(
    seeded_database: Database, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """A PAUSED outcome waits its time and calls the pause hook with the channel and reason."""
    heard: list[tuple[Channel, str]] = []

    async def on_paused(channel: Channel, reason: str) -> None:
        heard.append((channel, reason))

    pipeline = Pipeline(seeded_database, dispatcher, clock, RetryPolicy())
    pipeline.outbox = OutboxWorker(
        sessions=seeded_database.sessions,
        adapters={Channel.CONSOLE: pipeline.channel},
        clock=clock,
        on_paused=on_paused,
    )
    pipeline.channel.outcomes.append(SendResult(Outcome.PAUSED, error="quota", retry_after=60))
    await pipeline.ingest("p1", user="u9", text="/lang en")
    await pipeline.run()
    (row,) = await pipeline.rows(OutboundMessage)
    assert heard == [(Channel.CONSOLE, "quota")]
    assert row.status is OutboxStatus.PENDING  # type: ignore[attr-defined]
    assert row.next_attempt_at == clock.now() + timedelta(seconds=60)  # type: ignore[attr-defined]


async def test_a_failing_event_undoes_only_its_own_changes_in_its_batch(
    seeded_database: Database, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """Events of one batch share a transaction, each in a savepoint: one that wrote and then
    failed leaves nothing behind, while the events before and after it (its sender's next one
    too) are handled and answered."""
    broken = Router("half-done")

    @broken.command("half", access=ANYONE)
    async def half(_event: Event, ctx: Context) -> list[Reply]:
        ctx.identity.display_name = "written, then undone"
        await ctx.session.flush()
        raise RuntimeError("bug after a write")

    failing = dispatcher_with(broken, dispatcher, seeded_database.sessions)
    pipeline = Pipeline(seeded_database, failing, clock, RetryPolicy(), handing_over=True)
    await pipeline.ingest("h1", user="u5", text="/lang en")
    await pipeline.ingest("h2", user="u6", text="/half")
    await pipeline.ingest("h3", user="u6", text="/lang en")
    assert await pipeline.inbox.process_available() == 3  # one batch
    await pipeline.outbox.sent()

    assert texts_sent(pipeline) == ["Language set to English.", "Language set to English."]
    rows = await pipeline.rows(InboundEvent)
    assert [row.status for row in rows] == [  # type: ignore[attr-defined]
        InboxStatus.DONE,
        InboxStatus.PENDING,
        InboxStatus.DONE,
    ]
    async with seeded_database.sessions() as session:
        names = await session.scalars(
            select(Identity.display_name).where(Identity.external_id.in_(["u5", "u6"]))
        )
        assert set(names) == {None}


async def test_what_text_handlers_load_first_is_loaded_once_before_the_batch(
    seeded_database: Database, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    """A router's warm-up runs before the first batch with plain text (not inside it, where
    SQLite's write lock would be held meanwhile), and never again; typed commands skip it."""
    loading = Router("loads-a-dictionary")
    seen: list[bool] = []

    @loading.warms
    async def load(_services: Services) -> None:
        async with seeded_database.sessions() as session:
            handled = await session.scalar(
                select(func.count())
                .select_from(InboundEvent)
                .where(InboundEvent.event_key.in_(["w2", "w3"]))
                .where(InboundEvent.status == InboxStatus.DONE)
            )
        seen.append(handled == 0)

    warmed = dispatcher_with(loading, dispatcher, seeded_database.sessions)
    pipeline = Pipeline(seeded_database, warmed, clock, RetryPolicy(), handing_over=True)
    await pipeline.ingest("w1", user="u7", text="/help")
    await pipeline.run()
    assert seen == []
    await pipeline.ingest("w2", user="u7", text="สวัสดีครับ")
    await pipeline.ingest("w3", user="u7", text="ขอบคุณครับ")
    await pipeline.run()
    await pipeline.ingest("w4", user="u7", text="ดีครับ")
    await pipeline.run()
    assert seen == [True]  # once, before the batch it came for was handled
    assert len(pipeline.channel.sent) == 4
