"""Channel cursors: a channel's persisted position, such as the Telegram polling offset.

A poller writes its cursor only after what it fetched is committed to the inbox, so a restart
resumes exactly where the last committed batch ended.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ChannelCursor
from db.repositories.dialect import conflict_insert


async def get_cursor(*, session: AsyncSession, name: str) -> str | None:
    """The stored value of cursor `name`, or None before the first save."""
    return await session.scalar(select(ChannelCursor.value).where(ChannelCursor.name == name))


async def save_cursor(*, session: AsyncSession, name: str, value: str, now: datetime) -> None:
    """Set cursor `name` to `value`, creating it on first save; the caller commits."""
    statement = conflict_insert(session, ChannelCursor).values(
        name=name, value=value, updated_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"value": value, "updated_at": now}
        )
    )
