"""The inbox processor: stored webhook events → dispatcher → replies queued in the outbox.

Webhooks only store and acknowledge; this loop does the work, so a slow handler never makes a
platform time out, and a restart picks up where the last process stopped. Events of one chat are
handled in arrival order; different chats proceed side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.channel import AcknowledgingAdapter, ChannelAdapter, EnrichingAdapter
from bot.core.clock import Clock
from bot.core.dispatcher import Dispatcher
from bot.core.events import Event
from bot.core.replies import Reply, reply_to_data
from db.enums import Channel, InboxStatus
from db.models import InboundEvent
from db.repositories import inbox as inbox_repo
from db.repositories.inbox import InboxItem
from db.repositories.outbox import enqueue

log = logging.getLogger(__name__)


def reply_payload(replies: Sequence[Reply], context: Mapping[str, Any]) -> dict[str, Any]:
    """How replies and the adapter's reply context are stored in an outbox row."""
    return {"replies": [reply_to_data(r) for r in replies], "context": dict(context)}


class _InboxHooks:
    """Claim, deliver and fail one stored event inside the dispatcher's transaction."""

    def __init__(self, row: InboundEvent, adapter: ChannelAdapter, clock: Clock) -> None:
        self._row = row
        self._adapter = adapter
        self._clock = clock
        self.queued = False

    async def claim(self, session: AsyncSession) -> bool:
        result = await session.execute(
            update(InboundEvent)
            .where(InboundEvent.id == self._row.id, InboundEvent.status == InboxStatus.PROCESSING)
            .values(status=InboxStatus.DONE, processed_at=self._clock.now(), last_error=None)
        )
        return bool(getattr(result, "rowcount", 0))

    async def deliver(self, session: AsyncSession, event: Event, replies: list[Reply]) -> None:
        if not replies and not (
            isinstance(self._adapter, AcknowledgingAdapter)
            and self._adapter.needs_acknowledgement(event)
        ):
            return
        self.queued = await enqueue(
            session=session,
            channel=self._row.channel,
            recipients=[event.chat.external_id],
            payload=reply_payload(replies, self._adapter.reply_context(event)),
            idempotency_key=f"reply:{self._row.channel.value}:{self._row.event_key}",
            now=self._clock.now(),
        )

    async def failed(
        self, session: AsyncSession, event: Event, replies: list[Reply], error: Exception
    ) -> None:
        await inbox_repo.mark_failed(
            session=session,
            event_id=self._row.id,
            error=f"{type(error).__name__}: {error}",
            now=self._clock.now(),
        )
        await self.deliver(session, event, replies)


class InboxProcessor:
    """Stores webhook events and works through them."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
        adapters: Mapping[Channel, ChannelAdapter],
        clock: Clock,
        on_replies_queued: Callable[[], None] = lambda: None,
        batch_size: int = 64,
        concurrency: int = 16,
        poll_interval: float = 2.0,
        stale_after: timedelta = timedelta(minutes=2),
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._adapters = adapters
        self._clock = clock
        self._on_replies_queued = on_replies_queued
        self._batch_size = batch_size
        self._concurrency = asyncio.Semaphore(concurrency)
        self._poll_interval = poll_interval
        self._stale_after = stale_after
        self._wake = asyncio.Event()
        self._stopping = False

    async def ingest(self, channel: Channel, items: Sequence[InboxItem]) -> int:
        """Store events durably (one commit) and wake the loop; how many were new."""
        if not items:
            return 0
        # Through the engine, not a session: the webhook path's one write is cheaper at the
        # driver (see commit_events).
        stored = await inbox_repo.commit_events(
            engine=self._engine, channel=channel, events=items, now=self._clock.now()
        )
        if stored:
            self._wake.set()
        return stored

    async def requeue_stale(self) -> int:
        """Put back events a dead process claimed and never settled; how many."""
        async with self._sessions() as session, session.begin():
            requeued = await inbox_repo.requeue_stale(
                session=session, older_than=self._clock.now() - self._stale_after
            )
        if requeued:
            log.info("inbox: %d events claimed by a dead process are queued again", requeued)
            self._wake.set()
        return requeued

    def stop(self) -> None:
        """Leave `run` after the batch at hand, so that no database call is cut off halfway."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Work until stopped or cancelled; first take back what a dead process left half-done."""
        await self.requeue_stale()
        while not self._stopping:
            try:
                handled = await self.process_available()
            except Exception:
                log.exception("inbox: a batch failed; retrying shortly")
                handled = 0
            if handled:
                continue
            self._wake.clear()
            if self._stopping:
                return
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that arrives as the wait ends, and the processor would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_interval):
                    await self._wake.wait()

    async def process_available(self, channels: Sequence[Channel] | None = None) -> int:
        """Handle one batch of pending events (of `channels`, else of ours); how many were taken.

        Only channels this process has an adapter for: another process may serve the rest (a
        console beside `citybot serve`, whose answers only it can hand over).
        """
        async with self._sessions() as session, session.begin():
            rows = await inbox_repo.claim_pending(
                session=session,
                limit=self._batch_size,
                now=self._clock.now(),
                channels=list(channels if channels is not None else self._adapters),
            )
        if not rows:
            return 0
        by_chat: dict[tuple[Channel, str], list[tuple[InboundEvent, Event]]] = defaultdict(list)
        for row in rows:
            parsed = await self._parse(row)
            if parsed is not None:
                by_chat[(row.channel, parsed.chat.external_id)].append((row, parsed))
        await asyncio.gather(*(self._handle_in_order(events) for events in by_chat.values()))
        return len(rows)

    async def _parse(self, row: InboundEvent) -> Event | None:
        """The row's event; rows without one (malformed, standby, unknown) are settled here."""
        adapter = self._adapters.get(row.channel)
        try:
            if adapter is None:
                raise LookupError(f"channel {row.channel.value} is not enabled")
            event = adapter.event_from(row.payload)
        except Exception as error:
            log.warning("inbox: event %s (%s) skipped: %s", row.event_key, row.channel, error)
            async with self._sessions() as session, session.begin():
                await inbox_repo.mark_failed(
                    session=session, event_id=row.id, error=f"unreadable: {error}"
                )
            return None
        if event is None:
            async with self._sessions() as session, session.begin():
                await inbox_repo.mark_done(session=session, event_id=row.id, now=self._clock.now())
        return event

    async def _handle_in_order(self, events: list[tuple[InboundEvent, Event]]) -> None:
        async with self._concurrency:
            for row, parsed in events:
                adapter = self._adapters[row.channel]
                event = (
                    await adapter.enrich(parsed)
                    if isinstance(adapter, EnrichingAdapter)
                    else parsed
                )
                hooks = _InboxHooks(row, adapter, self._clock)
                await self._dispatcher.handle(event, hooks=hooks)
                if hooks.queued:
                    self._on_replies_queued()
