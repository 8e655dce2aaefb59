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
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.channel import (
    ChannelAdapter,
    EnrichingAdapter,
    ReplyWindow,
    UnreadableEvent,
)
from bot.core.clock import Clock
from bot.core.dispatcher import Dispatcher
from bot.core.events import ChatMoved, Event, FileReceived
from bot.core.failures import InboxRetries, describe, is_transient, stop_if_cancelled
from bot.core.leases import renewed
from bot.core.settling import (
    STOPPED,
    STOPPED_KIND,
    BatchHooks,
    DeadLetterAlert,
    HandOver,
    InboxHooks,
    Settler,
    no_alert,
)
from db.enums import Channel
from db.models import InboundEvent
from db.repositories import inbox as inbox_repo
from db.repositories.inbox import InboxItem
from db.session import write_turn

log = logging.getLogger(__name__)

# Events handled one per transaction, beside the batch: a file is fetched from the platform
# (seconds, perhaps, that the batch's transaction would wait), a chat's move renames rows.
ALONE = (FileReceived, ChatMoved)

# A batch lasts about this long (see `_batch_limit`), and takes at least MIN_BATCH events.
BATCH_SECONDS = 0.012
MIN_BATCH = 16
EVENT_SECONDS_GUESS = 0.0005  # until the first batch tells

# How often the backlog is logged while there is one.
BACKLOG_LOG_SECONDS = 10.0

# How long a claim on an event lasts unless its worker renews it (every third of it, while it
# works): a killed process's events are taken back this long after its last renewal.
CLAIM_LEASE = timedelta(seconds=15)


class Average:
    """An exponentially weighted moving average: recent batches count most."""

    def __init__(self, first: float, weight: float = 0.2) -> None:
        self.value = first
        self._weight = weight

    def add(self, sample: float) -> None:
        """Take one more measurement in."""
        self.value += self._weight * (sample - self.value)


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
        hand_over: HandOver | None = None,
        on_dead_letter: DeadLetterAlert = no_alert,
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
        self._settler = Settler(
            clock, retries or InboxRetries(), on_dead_letter, dispatcher.apology
        )
        self._on_replies_queued = on_replies_queued
        self._hand_over = hand_over
        self._per_event = Average(EVENT_SECONDS_GUESS)  # seconds a batched event takes
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
        async with write_turn(self._engine, first=True):
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

    async def backlog(self) -> dict[str, float | int]:
        """The events acknowledged and not yet handled, and the age in seconds of the oldest."""
        async with self._sessions() as session:
            waiting = await inbox_repo.backlog(session=session)
        oldest = (self._clock.now() - waiting.oldest).total_seconds() if waiting.oldest else 0.0
        return {"pending": waiting.waiting, "oldest_seconds": round(max(oldest, 0.0), 3)}

    async def _report_backlog(self) -> None:
        """Log the backlog while there is one (every BACKLOG_LOG_SECONDS, from `run`)."""
        try:
            backlog = await self.backlog()
        except Exception as error:
            stop_if_cancelled()
            log.warning("inbox: backlog unknown: %s", describe(error))
            return
        if backlog["pending"]:
            log.info(
                "inbox: backlog of %d events, the oldest waiting %.1f s",
                backlog["pending"],
                backlog["oldest_seconds"],
            )

    def _batch_limit(self) -> int:
        """How many events to take next: on SQLite, about BATCH_SECONDS of handling at the
        recent cost, for a batch's transaction holds SQLite's one write lock from start to
        commit, and webhooks wait for it to store their events."""
        if self._engine.dialect.name != "sqlite":
            return self._batch_size  # rows are locked, not the database: webhooks never wait
        fits = int(BATCH_SECONDS / max(self._per_event.value, 1e-6))
        return max(MIN_BATCH, min(self._batch_size, fits))

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
        next_recovery = next_report = 0.0
        while not self._stopping:
            handled = 0
            try:
                if time.monotonic() >= next_recovery:
                    next_recovery = time.monotonic() + recover_every
                    await self.requeue_stale()
                if time.monotonic() >= next_report:
                    next_report = time.monotonic() + BACKLOG_LOG_SECONDS
                    await self._report_backlog()
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
        console beside `citybot serve`, whose answers only it can hand over). Most events are
        handled together in one transaction (`_handle_batch`); a chat with a file to fetch or
        a move to follow goes its own way, one transaction per event, beside it.
        """
        now = self._clock.now()
        async with write_turn(self._engine), self._sessions() as session, session.begin():
            rows = await inbox_repo.claim_pending(
                session=session,
                limit=self._batch_limit(),
                now=now,
                channels=list(channels if channels is not None else self._adapters),
                stale_before={
                    channel: now - adapter.reply_window
                    for channel, adapter in self._adapters.items()
                    if isinstance(adapter, ReplyWindow)
                },
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
            together = [
                item
                for events in by_chat.values()
                if not any(isinstance(event, ALONE) for _, event in events)
                for item in events
            ]
            alone = [
                events
                for events in by_chat.values()
                if any(isinstance(event, ALONE) for _, event in events)
            ]
            # Every chat runs to its end, whatever another chat meets: claims are renewed
            # until the last one is settled.
            outcomes = await asyncio.gather(
                self._handle_batch(sorted(together, key=lambda item: item[0].id)),
                *(self._handle_in_order(events) for events in alone),
                return_exceptions=True,
            )
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                log.error("inbox: events left for recovery: %s", describe(outcome))
        return len(rows)

    async def _handle_batch(self, items: list[tuple[InboundEvent, Event]]) -> None:
        """Handle `items` in one transaction; if that fails as a whole, one by one instead."""
        outcomes = await asyncio.gather(
            *(self._enrich(row, parsed) for row, parsed in items), return_exceptions=True
        )
        enriched: list[tuple[InboundEvent, Event]] = []
        for (row, parsed), outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, Exception):
                log.warning("inbox: event %s: %s", row.event_key, describe(outcome))
                await self._settle(row, self._adapters[row.channel], parsed, outcome)
            elif isinstance(outcome, Event):
                enriched.append((row, outcome))
        if not enriched:
            return
        hooks = BatchHooks(
            enriched, self._adapters, self._settler, self._lease if self._hand_over else None
        )
        try:
            await self._dispatcher.prepare([event for _, event in enriched])
            async with write_turn(self._engine):
                started = time.perf_counter()
                await self._dispatcher.handle_batch([event for _, event in enriched], hooks)
                self._per_event.add((time.perf_counter() - started) / len(enriched))
        except Exception as error:
            stop_if_cancelled()
            if is_transient(error):  # the database or network is away: all wait, none charged
                log.warning(
                    "inbox: a batch of %d events waits: %s", len(enriched), describe(error)
                )
                for row, event in enriched:
                    await self._settle(row, self._adapters[row.channel], event, error)
                return
            log.warning(
                "inbox: a batch of %d events failed (%s); handling them one by one",
                len(enriched),
                describe(error),
            )
            by_chat: dict[tuple[Channel, str], list[tuple[InboundEvent, Event]]] = defaultdict(
                list
            )
            for row, event in enriched:
                by_chat[(row.channel, event.chat.external_id)].append((row, event))
            await asyncio.gather(*(self._handle_in_order(events) for events in by_chat.values()))
            return
        if hooks.queued:
            self._on_replies_queued()
        if hooks.handing_over and self._hand_over is not None:
            await self._hand_over(hooks.handing_over)

    def _claims_kept(self, event_ids: list[int]) -> contextlib.AbstractAsyncContextManager[None]:
        """Renew the claims on `event_ids` every third of a lease until the block ends."""

        async def renew() -> None:
            try:
                async with self._sessions() as session, session.begin():
                    await inbox_repo.renew_claims(
                        session=session, event_ids=event_ids, now=self._clock.now()
                    )
            except Exception as error:
                stop_if_cancelled()
                log.warning("inbox: claims not renewed (%s); trying again", describe(error))

        return renewed(self._lease.total_seconds() / 3, renew)

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
                hooks = InboxHooks(row, adapter, self._settler)
                try:
                    event = await self._enrich(row, parsed)
                    await self._dispatcher.handle(event, hooks=hooks)
                except Exception as error:
                    # The platform's API (enriching) or the database (recording the failure)
                    # let us down outside the dispatcher's own handling.
                    log.warning("inbox: event %s: %s", row.event_key, describe(error))
                    await self._settle(row, adapter, parsed, error)
                    continue
                if hooks.queued:
                    self._on_replies_queued()

    async def _enrich(self, row: InboundEvent, parsed: Event) -> Event:
        """What the platform's API adds to the event (a LINE follower's language)."""
        adapter = self._adapters[row.channel]
        return await adapter.enrich(parsed) if isinstance(adapter, EnrichingAdapter) else parsed

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
