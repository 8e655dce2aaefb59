"""Members: lookup and the changes an administrator (or seed data) makes to who they are.

Creating a member goes through `accounts.register_member`, which records consent with it;
chat accounts live in `identities`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Language, Role
from db.models import Member


async def get_member(*, session: AsyncSession, member_id: int) -> Member | None:
    """The member with `member_id`, or None."""
    return await session.get(Member, member_id)


async def list_members(*, session: AsyncSession, organisation_id: int) -> list[Member]:
    """The members of an organisation, oldest first."""
    return list(
        await session.scalars(
            select(Member).where(Member.organisation_id == organisation_id).order_by(Member.id)
        )
    )


async def update_member(
    *,
    session: AsyncSession,
    member: Member,
    organisation_id: int,
    role: Role,
    display_name: str | None,
    language: Language,
) -> bool:
    """Set who the member is; True when anything changed (so callers can audit or report it)."""
    wanted = {
        "organisation_id": organisation_id,
        "role": role,
        "display_name": display_name,
        "language": language,
    }
    changed = False
    for name, value in wanted.items():
        if getattr(member, name) != value:
            setattr(member, name, value)
            changed = True
    if changed:
        await session.flush()
    return changed
