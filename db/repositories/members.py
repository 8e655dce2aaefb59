"""Members: lookup.

Creating a member goes through `accounts.register_member`, which records consent with it;
chat accounts live in `identities`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Member


async def get_member(*, session: AsyncSession, member_id: int) -> Member | None:
    """The member with `member_id`, or None."""
    return await session.get(Member, member_id)
