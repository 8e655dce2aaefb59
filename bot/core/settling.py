"""What becomes of a claimed inbox event: its answer queued (or handed over), a retry, or death.

The inbox processor (bot/core/inbox.py) claims and parses events; the hooks here run inside the
dispatcher's transaction, so that settling an event, its handler's changes and its answer
commit together: an event is handled once, and its answer is never lost on the way out.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.channel import AcknowledgingAdapter, ChannelAdapter
from bot.core.clock import Clock
from bot.core.events import Event
from bot.core.failures import InboxRetries, describe, is_transient
from bot.core.replies import Reply, reply_to_data
from db.enums import Channel
from db.models import InboundEvent, OutboundMessage
from db.repositories import inbox as inbox_repo
from db.repositories import outbox as outbox_repo
from db.repositories.outbox import Draft, enqueue_many

log = logging.getLogger(__name__)


def reply_payload(replies: Sequence[Reply], context: Mapping[str, Any]) -> dict[str, Any]:
    """How replies and the adapter's reply context are stored in an outbox row."""
    return {"replies": [reply_to_data(r) for r in replies], "context": dict(context)}


# Tells the admins an event was set aside, inside the transaction that sets it aside: the
# session, what kind of failure (one alert an hour per kind) and the reason in full.
DeadLetterAlert = Callable[[AsyncSession, str, str], Awaitable[None]]
# What a recovered row's failure says: nothing raised, the process holding it went away.
STOPPED_KIND = "WorkerStopped"
STOPPED = f"{STOPPED_KIND}: the process handling it stopped before it finished"


async def no_alert(_session: AsyncSession, _kind: str, _reason: str) -> None:
    """No admins to tell (tests and tools that run the inbox without the app)."""


class Settler:
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

    def draft(
        self,
        row: InboundEvent,
        adapter: ChannelAdapter,
        event: Event,
        replies: list[Reply],
        *,
        kind: str = "reply",
    ) -> Draft | None:
        """The outbox message answering `event` with `replies`, once per event and `kind`.

        The apology has a kind of its own: an event an operator revives after it died still
        gets its real answer, under the `reply` key the apology did not take. None when there
        is nothing to send.
        """
        if not replies and not (
            isinstance(adapter, AcknowledgingAdapter) and adapter.needs_acknowledgement(event)
        ):
            return None
        return Draft(
            channel=row.channel,
            recipients=[event.chat.external_id],
            payload=reply_payload(replies, adapter.reply_context(event)),
            idempotency_key=f"{kind}:{row.channel.value}:{row.event_key}",
        )

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
        """Queue `replies` to `event`'s chat (see `draft`); True if queued now."""
        draft = self.draft(row, adapter, event, replies, kind=kind)
        if draft is None:
            return False
        return await enqueue_many(session=session, drafts=[draft], now=self.clock.now()) == 1

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


class InboxHooks:
    """Claim, deliver and fail one stored event inside the dispatcher's transaction."""

    def __init__(self, row: InboundEvent, adapter: ChannelAdapter, settler: Settler) -> None:
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


# Sends answers the moment their batch commits, the messages already stored claimed for it.
HandOver = Callable[[list[OutboundMessage]], Awaitable[None]]


class BatchHooks:
    """Claim, settle and answer a batch of stored events inside the dispatcher's transaction.

    Answers are stored claimed for sending (`handing_over`), to be handed to the sender once
    the batch commits, unless their chat still has a message waiting: then they queue behind it.
    """

    def __init__(
        self,
        items: Sequence[tuple[InboundEvent, Event]],
        adapters: Mapping[Channel, ChannelAdapter],
        settler: Settler,
        lease: timedelta | None,
    ) -> None:
        self._items = items
        self._adapters = adapters
        self._settler = settler
        self._lease = lease
        self._held: set[int] = set()
        self._done: list[int] = []
        self._drafts: list[Draft] = []
        self.queued = False  # messages wait in the outbox for a worker
        self.handing_over: list[OutboundMessage] = []  # stored claimed: send them now

    async def begin(self, session: AsyncSession) -> None:
        self._held = await inbox_repo.hold_claims(
            session=session, events=[row for row, _ in self._items], now=self._settler.clock.now()
        )

    def holds(self, index: int) -> bool:
        return self._items[index][0].id in self._held

    def handled(self, index: int, event: Event, replies: list[Reply]) -> None:
        row = self._items[index][0]
        self._done.append(row.id)
        draft = self._settler.draft(row, self._adapters[row.channel], event, replies)
        if draft is not None:
            self._drafts.append(draft)

    async def failed(
        self, session: AsyncSession, index: int, event: Event | None, error: Exception
    ) -> None:
        row = self._items[index][0]
        adapter = self._adapters[row.channel]
        if await self._settler.failure(session, row, adapter, event, error):
            self.queued = True

    async def finish(self, session: AsyncSession) -> None:
        now = self._settler.clock.now()
        await inbox_repo.mark_done_many(session=session, event_ids=self._done, now=now)
        waiting = list(self._drafts)
        if self._lease is not None and waiting:
            behind = await self._chats_behind(session, waiting)
            now_ready = [d for d in waiting if (d.channel, d.recipients[0]) not in behind]
            waiting = [d for d in waiting if (d.channel, d.recipients[0]) in behind]
            self.handing_over = await outbox_repo.store_claimed(
                session=session, drafts=now_ready, now=now, lease_until=now + self._lease
            )
        if await enqueue_many(session=session, drafts=waiting, now=now):
            self.queued = True

    @staticmethod
    async def _chats_behind(
        session: AsyncSession, drafts: Sequence[Draft]
    ) -> set[tuple[Channel, str]]:
        """The chats of `drafts` with a message still waiting to go before theirs."""
        chats: dict[Channel, set[str]] = defaultdict(set)
        for draft in drafts:
            chats[draft.channel].add(draft.recipients[0])
        behind: set[tuple[Channel, str]] = set()
        for channel, keys in chats.items():
            busy = await outbox_repo.unsettled_chats(
                session=session, channel=channel, chat_keys=keys
            )
            behind |= {(channel, key) for key in busy}
        return behind
