"""Leader leases: exactly one holder per name (one scheduler, one Telegram poller) at a time.

A holder renews before expiry; if its process dies the lease runs out and another takes over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SchedulerLease


async def acquire_lease(
    *, session: AsyncSession, name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take or renew the lease `name` for `holder`; False while someone else holds it."""
    insert = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    created = await session.execute(
        insert(SchedulerLease)
        .values(name=name, holder=holder, expires_at=now + ttl)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(SchedulerLease.name)
    )
    if created.scalar_one_or_none() is not None:
        return True
    taken = await session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now),
        )
        .values(holder=holder, expires_at=now + ttl)
    )
    return bool(getattr(taken, "rowcount", 0))


async def release_lease(*, session: AsyncSession, name: str, holder: str) -> None:
    """Give the lease up at shutdown so a successor need not wait for it to expire."""
    await session.execute(
        delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
    )
