"""Members: lookup, and the list by organisation that depa's dashboard shows.

Creating a member goes through `accounts.register_member`, which records consent with it;
chat accounts live in `identities`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, MemberStatus, OrganisationKind, Role
from db.models import Chat, Identity, Member, Organisation


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member with their organisation and the channels of their linked chat accounts."""

    member: Member
    organisation: Organisation
    channels: tuple[Channel, ...]


async def get_member(*, session: AsyncSession, member_id: int) -> Member | None:
    """The member with `member_id`, or None."""
    return await session.get(Member, member_id)


async def members_by_organisation(*, session: AsyncSession) -> list[MemberRow]:
    """Every member (erased ones too), by organisation, role and id; two queries in all."""
    channels: defaultdict[int, set[Channel]] = defaultdict(set)
    linked = await session.execute(
        select(Identity.member_id, Identity.channel).where(Identity.member_id.is_not(None))
    )
    for member_id, channel in linked:
        if member_id is not None:
            channels[member_id].add(channel)
    found = await session.execute(
        select(Member, Organisation)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .order_by(Organisation.kind, Organisation.slug, Member.role, Member.id)
    )
    return [
        MemberRow(member, organisation, tuple(sorted(channels[member.id])))
        for member, organisation in found
    ]


async def active_member_ids(
    *, session: AsyncSession, organisation_ids: Collection[int], roles: Collection[Role]
) -> list[int]:
    """The active members holding one of `roles` in these organisations, in the order they
    joined: whom a city's or a firm's notices go to."""
    if not organisation_ids:
        return []
    rows = await session.scalars(
        select(Member.id)
        .where(
            Member.organisation_id.in_(list(organisation_ids)),
            Member.status == MemberStatus.ACTIVE,
            Member.role.in_(list(roles)),
        )
        .order_by(Member.id)
    )
    return list(rows)


async def active_group_chats(
    *, session: AsyncSession, organisation_ids: Collection[int]
) -> list[Chat]:
    """The group chats of these organisations that the bot is still in."""
    if not organisation_ids:
        return []
    rows = await session.scalars(
        select(Chat)
        .where(Chat.organisation_id.in_(list(organisation_ids)), Chat.active.is_(True))
        .order_by(Chat.id)
    )
    return list(rows)


async def agency_staff_ids(*, session: AsyncSession, roles: Collection[Role]) -> list[int]:
    """depa's active members in `roles` (the programme office's coordinators, admins)."""
    rows = await session.scalars(
        select(Member.id)
        .join(Organisation, Member.organisation_id == Organisation.id)
        .where(
            Organisation.kind == OrganisationKind.AGENCY,
            Member.status == MemberStatus.ACTIVE,
            Member.role.in_(list(roles)),
        )
        .order_by(Member.id)
    )
    return list(rows)
