"""Stored events looked up, revived, deleted or redacted: what operators (`citybot inbox`) and
LINE's `unsend` do to the inbox after the fact. The webhook's and the processor's side is
db/repositories/inbox.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, InboxStatus
from db.models import InboundEvent


async def dead_events(*, session: AsyncSession) -> list[InboundEvent]:
    """Every dead event, oldest first."""
    return list(
        await session.scalars(
            select(InboundEvent)
            .where(InboundEvent.status == InboxStatus.DEAD)
            .order_by(InboundEvent.id)
        )
    )


async def revive(*, session: AsyncSession, event_id: int) -> bool:
    """Give a dead event a fresh set of tries, due now; False unless it was dead."""
    result = await session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_id, InboundEvent.status == InboxStatus.DEAD)
        .values(status=InboxStatus.PENDING, failures=0, next_attempt_at=None, processed_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def delete_by_key(*, session: AsyncSession, channel: Channel, event_key: str) -> bool:
    """Delete one stored event (LINE `unsend`: the user took the message back); True if found."""
    result = await session.execute(
        delete(InboundEvent)
        .where(InboundEvent.channel == channel, InboundEvent.event_key == event_key)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def get_event(
    *, session: AsyncSession, channel: Channel, event_key: str
) -> InboundEvent | None:
    """The stored event with this key, whatever its state."""
    return await session.scalar(
        select(InboundEvent).where(
            InboundEvent.channel == channel, InboundEvent.event_key == event_key
        )
    )


async def redact_message(
    *,
    session: AsyncSession,
    channel: Channel,
    message_id: str,
    since: datetime | None = None,
) -> int:
    """Forget a message its sender took back (LINE `unsend`); how many stored events held it.

    The payload is replaced by a marker rather than the row deleted, so the event key still
    dedupes a redelivery of the message; a pending row then reads as nothing to answer.
    `since` bounds the scan (LINE allows taking a message back for 24 hours; the caller's
    window is twice that, for late redeliveries).
    """
    statement = (
        update(InboundEvent)
        .where(
            InboundEvent.channel == channel,
            InboundEvent.payload[("message", "id")].as_string() == message_id,
        )
        .values(payload={"redacted": True})
        .execution_options(synchronize_session=False)
    )
    if since is not None:
        statement = statement.where(InboundEvent.received_at >= since)
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0))
