"""One-time codes that link a second chat account to a member."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LinkCode

LINK_CODE_DIGITS = 6


async def create_link_code(
    *, session: AsyncSession, member_id: int, identity_id: int, now: datetime, ttl: timedelta
) -> LinkCode:
    """A fresh code for `member_id`; spent and expired codes are cleared so codes stay unique."""
    await session.execute(
        delete(LinkCode).where(
            or_(
                LinkCode.expires_at <= now,
                LinkCode.used_at.is_not(None),
                LinkCode.member_id == member_id,
            )
        )
    )
    while True:
        code = f"{secrets.randbelow(10**LINK_CODE_DIGITS):0{LINK_CODE_DIGITS}d}"
        if await session.scalar(select(LinkCode.id).where(LinkCode.code == code)) is None:
            break
    link = LinkCode(
        code=code,
        member_id=member_id,
        identity_id=identity_id,
        expires_at=now + ttl,
        created_at=now,
    )
    session.add(link)
    await session.flush()
    return link


async def take_link_code(*, session: AsyncSession, code: str, now: datetime) -> LinkCode | None:
    """The live code `code`, marked used; None if unknown, used or expired."""
    link = await session.scalar(
        select(LinkCode).where(
            LinkCode.code == code, LinkCode.used_at.is_(None), LinkCode.expires_at > now
        )
    )
    if link is not None:
        link.used_at = now
        await session.flush()
    return link
