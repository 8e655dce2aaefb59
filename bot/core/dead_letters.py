"""The operator's side of the inbox: giving an event set aside as dead another go.

An event dies when its last try failed (see bot/core/failures.py); it keeps its payload and
reason so that, once the cause is fixed, `citybot inbox retry ID` can have it answered after all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import InboxStatus
from db.models import InboundEvent
from db.repositories import audit, stored_events


class NotDead(LookupError):
    """The event asked for does not exist or is not dead; the message says which."""


async def retry_dead_letter(*, session: AsyncSession, event_id: int, now: datetime) -> None:
    """Put dead event `event_id` back in the queue with fresh tries; audited. NotDead if not."""
    if not await stored_events.revive(session=session, event_id=event_id):
        row = await session.get(InboundEvent, event_id)
        if row is None:
            raise NotDead(f"no inbox event has id {event_id}")
        raise NotDead(f"inbox event {event_id} is {row.status.value}, not {InboxStatus.DEAD}")
    await audit.record(
        session=session, action="inbox.retry", now=now, target=f"inbound_event:{event_id}"
    )
