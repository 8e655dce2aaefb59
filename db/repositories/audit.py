"""The audit log: append-only record of what matters, also used for throttling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog, Member


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


async def page_of_entries(
    *,
    session: AsyncSession,
    action_prefix: str | None = None,
    actor_member_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AuditLog], int]:
    """One page of entries, newest first, filtered (action by prefix, actor, `since` ≤ time <
    `until`), and how many match in all."""
    query: Select[tuple[AuditLog]] = select(AuditLog)
    if action_prefix:
        query = query.where(AuditLog.action.startswith(action_prefix, autoescape=True))
    if actor_member_id is not None:
        query = query.where(AuditLog.actor_member_id == actor_member_id)
    if since is not None:
        query = query.where(AuditLog.created_at >= since)
    if until is not None:
        query = query.where(AuditLog.created_at < until)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    page = (
        query.order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).offset(offset).limit(limit)
    )
    return list(await session.scalars(page)), int(total or 0)


async def actors(*, session: AsyncSession) -> list[Member]:
    """The members who appear in the log as actors, by id."""
    acted = select(AuditLog.actor_member_id).where(AuditLog.actor_member_id.is_not(None))
    return list(
        await session.scalars(select(Member).where(Member.id.in_(acted)).order_by(Member.id))
    )
