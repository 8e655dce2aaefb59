"""The inbox processor: stored webhook events → dispatcher → replies queued in the outbox.

Webhooks only store and acknowledge; this loop does the work, so a slow handler never makes a
platform time out, and a restart picks up where the last process stopped. Events of one chat are
handled in arrival order (an event waiting for a retry lets the chat's later ones pass); different
chats proceed side by side. A claim is a short lease, renewed while the batch is worked on, so a
killed process's events come back within seconds; a failure is waited out, tried again or set
aside as dead (bot/core/failures.py); no failure leaves a row `processing` past its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.channel import (
    AcknowledgingAdapter,
    ChannelAdapter,
    EnrichingAdapter,
    UnreadableEvent,
)
from bot.core.clock import Clock
from bot.core.dispatcher import Dispatcher
from bot.core.events import Event
from bot.core.failures import InboxRetries, describe, is_transient, stop_if_cancelled
from bot.core.replies import Reply, reply_to_data
from db.enums import Channel
from db.models import InboundEvent
from db.repositories import inbox as inbox_repo
from db.repositories.inbox import InboxItem
from db.repositories.outbox import enqueue

log = logging.getLogger(__name__)

# How long a claim on an event lasts unless its worker renews it (every third of it, while it
# works): a killed process's events are taken back this long after its last renewal.
CLAIM_LEASE = timedelta(seconds=15)


def reply_payload(replies: Sequence[Reply], context: Mapping[str, Any]) -> dict[str, Any]:
    """How replies and the adapter's reply context are stored in an outbox row."""
    return {"replies": [reply_to_data(r) for r in replies], "context": dict(context)}


# Tells the admins an event was set aside, inside the transaction that sets it aside: the
# session, what kind of failure (one alert an hour per kind) and the reason in full.
DeadLetterAlert = Callable[[AsyncSession, str, str], Awaitable[None]]
# What a recovered row's failure says: nothing raised, the process holding it went away.
STOPPED_KIND = "WorkerStopped"
STOPPED = f"{STOPPED_KIND}: the process handling it stopped before it finished"


async def _no_alert(_session: AsyncSession, _kind: str, _reason: str) -> None:
    """No admins to tell (tests and tools that run the inbox without the app)."""


class _Settler:
    """Queues an event's answer and decides what a failure means: wait, try again, or give up."""

    def __init__(
        self,
        clock: Clock,
        retries: InboxRetries,
        alert: DeadLetterAlert,
        apology: Callable[[Event], list[Reply]],
    ) -> None:
        self.clock = clock
        self.retries = retries
        self._alert = alert
        self._apology = apology

    async def queue(
        self,
        session: AsyncSession,
        row: InboundEvent,
        adapter: ChannelAdapter,
        event: Event,
        replies: list[Reply],
        *,
        kind: str = "reply",
    ) -> bool:
        """Queue `replies` to `event`'s chat, once per event and `kind`; True if queued now.

        The apology has a kind of its own: an event an operator revives after it died still
        gets its real answer, under the `reply` key the apology did not take.
        """
        if not replies and not (
            isinstance(adapter, AcknowledgingAdapter) and adapter.needs_acknowledgement(event)
        ):
            return False
        return await enqueue(
            session=session,
            channel=row.channel,
            recipients=[event.chat.external_id],
            payload=reply_payload(replies, adapter.reply_context(event)),
            idempotency_key=f"{kind}:{row.channel.value}:{row.event_key}",
            now=self.clock.now(),
        )

    async def failure(
        self,
        session: AsyncSession,
        row: InboundEvent,
        adapter: ChannelAdapter | None,
        event: Event | None,
        error: Exception,
    ) -> bool:
        """Record `error` on the claimed row; True when the apology was queued (it died)."""
        reason, now = describe(error), self.clock.now()
        if is_transient(error):
            wait = self.retries.delay(row.attempts)
            log.warning("inbox: event %s waits %s after %s", row.event_key, wait, reason)
            await inbox_repo.retry_later(
                session=session, event=row, error=reason, failures=row.failures, at=now + wait
            )
            return False
        failures = row.failures + 1
        if not self.retries.exhausted(failures):
            wait = self.retries.delay(failures)
            log.warning(
                "inbox: event %s failed (%d of %d tries), again in %s: %s",
                row.event_key,
                failures,
                self.retries.max_attempts,
                wait,
                reason,
            )
            await inbox_repo.retry_later(
                session=session, event=row, error=reason, failures=failures, at=now + wait
            )
            return False
        return await self.give_up(
            session, row, adapter, event, type(error).__name__, reason, failures
        )

    async def give_up(
        self,
        session: AsyncSession,
        row: InboundEvent,
        adapter: ChannelAdapter | None,
        event: Event | None,
        kind: str,
        reason: str,
        failures: int,
    ) -> bool:
        """Set the row aside as dead: one apology to its sender, if known; the admins told."""
        if not await inbox_repo.mark_dead(
            session=session, event=row, error=reason, failures=failures, now=self.clock.now()
        ):
            return False  # the claim was lost: whoever holds it now decides
        log.error("inbox: event %s (%s) is dead: %s", row.event_key, row.channel, reason)
        await self._alert(session, kind, reason)
        if event is None or adapter is None:
            return False  # unreadable: nobody to apologise to
        return await self.queue(session, row, adapter, event, self._apology(event), kind="apology")


class _InboxHooks:
    """Claim, deliver and fail one stored event inside the dispatcher's transaction."""

    def __init__(self, row: InboundEvent, adapter: ChannelAdapter, settler: _Settler) -> None:
        self._row = row
        self._adapter = adapter
        self._settler = settler
        self.queued = False

    async def claim(self, session: AsyncSession) -> bool:
        return await inbox_repo.mark_done(
            session=session, event=self._row, now=self._settler.clock.now()
        )

    async def deliver(self, session: AsyncSession, event: Event, replies: list[Reply]) -> None:
        self.queued = await self._settler.queue(session, self._row, self._adapter, event, replies)

    async def failed(self, session: AsyncSession, event: Event | None, error: Exception) -> bool:
        self.queued = await self._settler.failure(session, self._row, self._adapter, event, error)
        return self.queued


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
        on_dead_letter: DeadLetterAlert = _no_alert,
        retries: InboxRetries | None = None,
        batch_size: int = 64,
        concurrency: int = 16,
        poll_interval: float = 2.0,
        lease: timedelta = CLAIM_LEASE,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._adapters = adapters
        self._clock = clock
        self._settler = _Settler(
            clock, retries or InboxRetries(), on_dead_letter, dispatcher.apology
        )
        self._on_replies_queued = on_replies_queued
        self._batch_size = batch_size
        self._concurrency = asyncio.Semaphore(concurrency)
        self._poll_interval = poll_interval
        self._lease = lease
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
        """Put back events whose claim ran out (their process died); how many.

        A live process renews its claims while it works (see `_claims_kept`), so only a dead
        one's rows are a whole lease old.
        """
        async with self._sessions() as session, session.begin():
            requeued = await inbox_repo.requeue_stale(
                session=session, older_than=self._clock.now() - self._lease, reason=STOPPED
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
        """Work until stopped or cancelled, taking back what dead processes left half-done.

        At start and then every third of a lease: a killed process's events are answered
        within about a lease and a third of its death.
        """
        recover_every = self._lease.total_seconds() / 3
        next_recovery = 0.0
        while not self._stopping:
            handled = 0
            try:
                if time.monotonic() >= next_recovery:
                    next_recovery = time.monotonic() + recover_every
                    await self.requeue_stale()
                handled = await self.process_available()
            except Exception:
                stop_if_cancelled()
                log.exception("inbox: a batch failed; retrying shortly")
            stop_if_cancelled()
            if handled:
                continue
            self._wake.clear()
            if self._stopping:
                return
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that arrives as the wait ends, and the processor would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(self._poll_interval, recover_every)):
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
        async with self._claims_kept([row.id for row in rows]):
            by_chat: dict[tuple[Channel, str], list[tuple[InboundEvent, Event]]] = defaultdict(
                list
            )
            for row in rows:
                parsed = await self._parse(row)
                if parsed is not None:
                    by_chat[(row.channel, parsed.chat.external_id)].append((row, parsed))
            # Every chat runs to its end, whatever another chat meets: claims are renewed
            # until the last one is settled.
            outcomes = await asyncio.gather(
                *(self._handle_in_order(events) for events in by_chat.values()),
                return_exceptions=True,
            )
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                log.error("inbox: events left for recovery: %s", describe(outcome))
        return len(rows)

    @contextlib.asynccontextmanager
    async def _claims_kept(self, event_ids: list[int]) -> AsyncIterator[None]:
        """Renew the claims on `event_ids` every third of a lease until the block ends."""
        finished = asyncio.Event()

        async def renew() -> None:
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._lease.total_seconds() / 3):
                        await finished.wait()
                if finished.is_set():
                    return
                try:
                    async with self._sessions() as session, session.begin():
                        await inbox_repo.renew_claims(
                            session=session, event_ids=event_ids, now=self._clock.now()
                        )
                except Exception as error:
                    log.warning("inbox: claims not renewed (%s); trying again", describe(error))

        renewing = asyncio.create_task(renew(), name="inbox-claims")
        try:
            yield
        finally:
            # Ended, not cancelled: a renewal under way finishes its transaction.
            finished.set()
            await renewing

    async def _parse(self, row: InboundEvent) -> Event | None:
        """The row's event; rows without one (unreadable, standby, out of tries) settle here."""
        adapter = self._adapters.get(row.channel)
        try:
            if adapter is None:
                raise LookupError(f"channel {row.channel.value} is not enabled")
            event = adapter.event_from(row.payload)
        except UnreadableEvent as error:
            # What the webhook stored but no parser reads (out-of-range dates, wrong types):
            # no person to answer and nothing a retry would change.
            log.warning("inbox: event %s (%s) skipped: %s", row.event_key, row.channel, error)
            async with self._sessions() as session, session.begin():
                await inbox_repo.mark_skipped(
                    session=session,
                    event=row,
                    reason=f"unreadable: {error}",
                    now=self._clock.now(),
                )
            return None
        except Exception as error:
            log.warning("inbox: event %s (%s) unreadable: %s", row.event_key, row.channel, error)
            await self._settle(row, adapter, None, error)
            return None
        if self._settler.retries.exhausted(row.failures):
            # Back through recovery with no try left: whatever it does stopped its last worker.
            async with self._sessions() as session, session.begin():
                queued = await self._settler.give_up(
                    session,
                    row,
                    adapter,
                    event,
                    STOPPED_KIND,
                    row.last_error or STOPPED,
                    row.failures,
                )
            if queued:
                self._on_replies_queued()
            return None
        if event is None:
            async with self._sessions() as session, session.begin():
                await inbox_repo.mark_done(session=session, event=row, now=self._clock.now())
        return event

    async def _handle_in_order(self, events: list[tuple[InboundEvent, Event]]) -> None:
        async with self._concurrency:
            for row, parsed in events:
                adapter = self._adapters[row.channel]
                hooks = _InboxHooks(row, adapter, self._settler)
                try:
                    event = (
                        await adapter.enrich(parsed)
                        if isinstance(adapter, EnrichingAdapter)
                        else parsed
                    )
                    await self._dispatcher.handle(event, hooks=hooks)
                except Exception as error:
                    # The platform's API (enriching) or the database (recording the failure)
                    # let us down outside the dispatcher's own handling.
                    log.warning("inbox: event %s: %s", row.event_key, describe(error))
                    await self._settle(row, adapter, parsed, error)
                    continue
                if hooks.queued:
                    self._on_replies_queued()

    async def _settle(
        self,
        row: InboundEvent,
        adapter: ChannelAdapter | None,
        event: Event | None,
        error: Exception,
    ) -> None:
        """Record a failure met outside the dispatcher, in a transaction of its own."""
        async with self._sessions() as session, session.begin():
            queued = await self._settler.failure(session, row, adapter, event, error)
        if queued:
            self._on_replies_queued()
