"""The audit log: append-only record of what matters, also used for throttling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog


async def record(
    *,
    session: AsyncSession,
    action: str,
    now: datetime,
    actor_member_id: int | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one entry."""
    entry = AuditLog(
        action=action,
        actor_member_id=actor_member_id,
        target=target,
        details=details or {},
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry


async def count_since(
    *, session: AsyncSession, action: str, target: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many `action` entries on `target` since `since`, and the oldest of them."""
    query = select(AuditLog.created_at).where(
        AuditLog.action == action, AuditLog.target == target, AuditLog.created_at > since
    )
    times = sorted(await session.scalars(query))
    return len(times), (times[0] if times else None)


async def count_action_since(
    *, session: AsyncSession, action: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many `action` entries on any target since `since`, and the oldest of them."""
    query = select(func.count(), func.min(AuditLog.created_at)).where(
        AuditLog.action == action, AuditLog.created_at > since
    )
    count, oldest = (await session.execute(query)).one()
    return int(count), oldest


async def list_entries(
    *, session: AsyncSession, action: str | None = None, limit: int = 100
) -> list[AuditLog]:
    """The newest entries, optionally of one action."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditLog.action == action)
    return list(await session.scalars(query))


async def count_actions(*, session: AsyncSession, action: str) -> int:
    """How many entries of `action` exist."""
    return int(await session.scalar(select(func.count()).where(AuditLog.action == action)) or 0)
