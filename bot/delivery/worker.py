"""The outbox worker: claims due messages, sends them through their channel, records the outcome.

Every outgoing message is a row first, so each one ends visibly: sent, failed with the platform's
reason, or dead after its retries; none is silently dropped. Messages to one chat go in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.channel import ChannelAdapter, Delivery, Outcome, SendResult
from bot.core.clock import Clock
from bot.core.failures import stop_if_cancelled
from bot.core.leases import renewed
from bot.core.replies import reply_from_data
from bot.delivery.limits import DeliveryLimits
from bot.delivery.retry import RetryPolicy
from db.enums import Channel, OutboxStatus
from db.models import Identity, OutboundMessage
from db.repositories import outbox as outbox_repo
from db.session import write_turn

log = logging.getLogger(__name__)

# Short, and renewed every third of it while a batch is sent: a killed worker's messages are
# taken over by the next worker (or the restarted process) within this plus one poll.
DEFAULT_LEASE = timedelta(seconds=15)
# How often a batch being sent records the outcomes so far (see `_deliver`).
SETTLE_EVERY_SECONDS = 0.25
# Batches of answers handed over by the inbox and being sent at once; the inbox waits beyond.
MAX_HANDED_OVER = 8
# What a message gets that was not tried because an earlier one of its chat did not go: it
# waits its turn (pending, due now), and the try it was claimed for is not counted.
WAITS = SendResult(Outcome.RETRY, error="waits for an earlier message of its chat")


def delivery_of(message: OutboundMessage) -> Delivery:
    """The adapter's view of a stored message."""
    payload = message.payload
    return Delivery(
        message_id=message.id,
        recipients=tuple(message.recipients),
        replies=tuple(reply_from_data(item) for item in payload.get("replies", ())),
        context=dict(payload.get("context", {})),
        retry_key=message.retry_key,
        attempt=message.attempts,
    )


class OutboxWorker:
    """Sends what the outbox holds, with retries, until stopped or cancelled."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        adapters: Mapping[Channel, ChannelAdapter],
        clock: Clock,
        policy: RetryPolicy | None = None,
        batch_size: int = 100,
        concurrency: int = 32,
        lease: timedelta = DEFAULT_LEASE,
        poll_interval: float = 2.0,
        limits: DeliveryLimits | None = None,
        on_paused: Callable[[Channel, str], Awaitable[None]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._adapters = adapters
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._in_flight: dict[Channel, asyncio.Semaphore] = {}
        self._lease = lease
        self._poll_interval = poll_interval
        self._wakes: dict[Channel, asyncio.Event] = {}
        self._stopping = False
        self._limits = limits or DeliveryLimits()
        self._on_paused = on_paused
        self._handed_over = asyncio.Semaphore(MAX_HANDED_OVER)
        self._sending: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        for event in self._wakes.values():
            event.set()

    def stop(self) -> None:
        """Leave `run` after the batches at hand, so that no database call is cut off halfway."""
        self._stopping = True
        self.wake()

    async def run(self) -> None:
        """Deliver until stopped or cancelled, one loop per channel.

        Channels go at very different paces (Telegram 25 messages a second, LINE 500 people a
        request): a batch waiting on one platform's limit must not hold up another's messages.
        """
        try:
            await asyncio.gather(*(self._run_channel(channel) for channel in list(self._adapters)))
        finally:
            await self.sent()

    async def sent(self) -> None:
        """Wait until the answers handed over so far are sent and settled (sends time out)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def _run_channel(self, channel: Channel) -> None:
        wake = self._wakes.setdefault(channel, asyncio.Event())
        while not self._stopping:
            try:
                sent = await self.deliver_due([channel])
            except Exception:
                stop_if_cancelled()
                log.exception("outbox: a %s batch failed; retrying shortly", channel.value)
                sent = 0
            stop_if_cancelled()
            if sent:
                continue
            wake.clear()
            if self._stopping:
                return
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that arrives as the wait ends, and the worker would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(await self._idle_wait(channel)):
                    await wake.wait()

    async def _idle_wait(self, channel: Channel) -> float:
        async with self._sessions() as session:
            due = await outbox_repo.next_due_at(session=session, channel=channel)
        if due is None:
            return self._poll_interval
        return min(self._poll_interval, max((due - self._clock.now()).total_seconds(), 0.01))

    async def deliver_due(self, channels: Sequence[Channel] | None = None) -> int:
        """Send one batch of due messages (of `channels`, else of every channel); how many."""
        now = self._clock.now()
        lease_until = now + self._lease
        async with self._sessions() as session, session.begin():
            claimed = await outbox_repo.claim_due(
                session=session,
                now=now,
                lease_until=lease_until,
                limit=self._batch_size,
                channels=list(channels if channels is not None else self._adapters),
            )
        if claimed:
            await self._deliver(claimed, lease_until)
        return len(claimed)

    async def hand_over(self, messages: list[OutboundMessage]) -> None:
        """Send `messages`, just stored already claimed (the answers of a batch), right away.

        In the background, so the inbox goes on with its next batch meanwhile; it waits here
        only while MAX_HANDED_OVER batches are still being sent. Should this process die
        before they are settled, their lease runs out and a worker sends them.
        """
        await self._handed_over.acquire()
        held_until = messages[0].claimed_until or self._clock.now() + self._lease
        task = asyncio.create_task(self._deliver(messages, held_until), name="outbox-handed-over")
        self._sending.add(task)
        task.add_done_callback(self._handed_over_sent)

    def _handed_over_sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._handed_over.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox: handed-over answers left to their lease: %s", task.exception())

    async def _deliver(self, claimed: Sequence[OutboundMessage], lease_until: datetime) -> None:
        """Send claimed messages, each chat's in order and chats side by side; settle them all.

        Outcomes are recorded together, every SETTLE_EVERY_SECONDS and at the end: a batch of
        answers in a transaction or two, while a slow channel's batch (Telegram's 25 a
        second) still leaves little sent-but-unrecorded for a crash to send again.
        """
        by_chat: dict[tuple[Channel, str], list[OutboundMessage]] = defaultdict(list)
        for message in claimed:
            by_chat[(message.channel, message.chat_key)].append(message)
        held = {message.id for message in claimed}
        outcomes: list[tuple[OutboundMessage, SendResult]] = []

        async def flush() -> None:
            taken = outcomes[:]
            del outcomes[:]
            if not taken:
                return
            try:
                await self._settle(taken)
            except Exception:  # kept for the next flush; the lease is the safety net
                stop_if_cancelled()
                log.exception("outbox: recording %d outcomes failed", len(taken))
                outcomes[:0] = taken

        try:
            async with (
                renewed(self._lease.total_seconds() / 3, self._keeper(held, lease_until)),
                renewed(SETTLE_EVERY_SECONDS, flush),
            ):
                await asyncio.gather(
                    *(
                        self._send_in_order(messages, held, outcomes)
                        for messages in by_chat.values()
                    )
                )
        finally:
            if outcomes:
                await self._settle(outcomes)

    def _keeper(self, held: set[int], held_until: datetime) -> Callable[[], Awaitable[None]]:
        """The renewal of a batch's lease while it is being sent (see `leases.renewed`).

        Rate limits and a platform's 429s can stretch a batch past the lease; without renewal
        another worker would take over messages this one is about to send, and send them twice.
        A message whose lease was lost anyway (this process stalled) leaves `held`, and is
        left to the worker that took it over.
        """

        async def renew() -> None:
            nonlocal held_until
            until = self._clock.now() + self._lease
            try:
                async with self._sessions() as session, session.begin():
                    still = await outbox_repo.renew_claims(
                        session=session,
                        message_ids=list(held),
                        held_until=held_until,
                        until=until,
                    )
            except Exception:  # the next renewal tries again; the lease is the safety net
                stop_if_cancelled()
                log.exception("outbox: renewing a lease failed")
                return
            held.intersection_update(still)
            held_until = until

        return renew

    async def _send_in_order(
        self,
        messages: list[OutboundMessage],
        held: set[int],
        outcomes: list[tuple[OutboundMessage, SendResult]],
    ) -> None:
        """Send one chat's messages in order; after one that did not go, the rest wait too."""
        channel = messages[0].channel
        in_flight = self._in_flight.setdefault(channel, asyncio.Semaphore(self._concurrency))
        async with in_flight:
            for position, message in enumerate(messages):
                weight = len(message.payload.get("replies", ()))
                if weight:  # an acknowledgement alone (a button's spinner) is no message
                    await self._limits.acquire(message.channel, message.recipients, weight)
                if message.id not in held:
                    log.warning("outbox: lost the lease on message %d; not sending it", message.id)
                    continue
                result = await self._attempt(message)
                if result.outcome is Outcome.RETRY and result.retry_after:
                    self._limits.pause(message.channel, result.retry_after)
                outcomes.append((message, result))
                if result.outcome is Outcome.PAUSED and self._on_paused is not None:
                    await self._on_paused(message.channel, result.error or "paused")
                if result.outcome in {Outcome.RETRY, Outcome.PAUSED}:
                    outcomes.extend((later, WAITS) for later in messages[position + 1 :])
                    return

    async def _attempt(self, message: OutboundMessage) -> SendResult:
        adapter = self._adapters[message.channel]
        try:
            return await adapter.send(delivery_of(message))
        except Exception as error:  # an adapter bug or an unclassified transport error
            log.exception("outbox: sending message %d on %s raised", message.id, message.channel)
            return SendResult(Outcome.RETRY, error=f"{type(error).__name__}: {error}")

    async def _settle(self, outcomes: Sequence[tuple[OutboundMessage, SendResult]]) -> None:
        now = self._clock.now()
        settlements: list[outbox_repo.Settlement] = []
        blocked: dict[Channel, set[str]] = defaultdict(set)
        for message, result in outcomes:
            status, next_at = self._next_state(message, result, now)
            if status is not OutboxStatus.SENT and result is not WAITS:
                log.warning(
                    "outbox: message %d on %s %s (attempt %d): %s",
                    message.id,
                    message.channel.value,
                    result.outcome.value,
                    message.attempts,
                    result.error,
                )
            settlements.append(
                outbox_repo.Settlement(
                    message_id=message.id,
                    status=status,
                    error=result.error,
                    next_attempt_at=next_at,
                    platform_ids=result.platform_ids,
                    payload=self._payload_for_retry(message, status, result),
                    attempts=message.attempts - 1 if result is WAITS else None,
                )
            )
            if result.outcome is Outcome.BLOCKED:
                blocked[message.channel].update(message.recipients)
        async with write_turn(self._sessions), self._sessions() as session, session.begin():
            await outbox_repo.settle_many(session=session, settlements=settlements, now=now)
            for channel, accounts in blocked.items():
                await session.execute(
                    update(Identity)
                    .where(Identity.channel == channel, Identity.external_id.in_(sorted(accounts)))
                    .values(blocked=True)
                )

    @staticmethod
    def _payload_for_retry(
        message: OutboundMessage, status: OutboxStatus, result: SendResult
    ) -> dict[str, Any] | None:
        """The payload with the adapter's new context, when the message will be tried again."""
        if status is not OutboxStatus.PENDING or result.context is None:
            return None
        return {**message.payload, "context": dict(result.context)}

    def _next_state(
        self, message: OutboundMessage, result: SendResult, now: datetime
    ) -> tuple[OutboxStatus, datetime | None]:
        if result is WAITS:
            return OutboxStatus.PENDING, now
        match result.outcome:
            case Outcome.SENT:
                return OutboxStatus.SENT, None
            case Outcome.FAILED:
                return OutboxStatus.FAILED, None
            case Outcome.BLOCKED:
                return OutboxStatus.BLOCKED, None
            case Outcome.PAUSED:
                pause = timedelta(seconds=result.retry_after or self._policy.channel_pause)
                return OutboxStatus.PENDING, now + pause
            case Outcome.RETRY:
                throttled = result.retry_after is not None
                if self._policy.exhausted(message.attempts, throttled=throttled):
                    return OutboxStatus.DEAD, None
                return OutboxStatus.PENDING, now + self._policy.delay(
                    message.attempts, result.retry_after
                )
