"""A member's account lifecycle: registration with consent, linking, erasure (PDPA)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, Language, MemberStatus, Role
from db.models import Consent, Identity, Member
from db.repositories.identities import list_member_identities
from db.repositories.interests import forget_contacts
from db.repositories.questions import forget_asker

POLICY_VERSION = "2026-11"


async def register_member(
    *,
    session: AsyncSession,
    identity: Identity,
    organisation_id: int,
    role: Role,
    display_name: str | None,
    language: Language,
    now: datetime,
) -> Member:
    """Create the member behind `identity`, with their accepted consent as evidence."""
    member = Member(
        organisation_id=organisation_id,
        role=role,
        display_name=display_name,
        language=language,
        status=MemberStatus.ACTIVE,
        last_channel=identity.channel,
        last_seen_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(member)
    await session.flush()
    identity.member_id = member.id
    identity.display_name = display_name
    session.add(
        Consent(
            member_id=member.id,
            policy_version=POLICY_VERSION,
            accepted=True,
            channel=identity.channel,
            decided_at=now,
        )
    )
    await session.flush()
    return member


async def erase_member(*, session: AsyncSession, member: Member, now: datetime) -> int:
    """Erase what identifies a person; keep the member row so city records stay anonymised.

    Returns how many chat accounts were removed. Their conversation state and link codes go with
    them (ON DELETE CASCADE); progress updates keep pointing at the now nameless member. Their
    questions to depa are closed and what they wrote in them blanked.
    """
    identities = await list_member_identities(session=session, member_id=member.id)
    for identity in identities:
        await session.delete(identity)
    member.display_name = None
    member.status = MemberStatus.ERASED
    member.erased_at = now
    member.last_channel = None
    await session.execute(
        update(Consent)
        .where(Consent.member_id == member.id, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    await forget_contacts(session=session, member_id=member.id)
    await forget_asker(session=session, member_id=member.id, now=now)
    await session.flush()
    return len(identities)


async def linked_channels(*, session: AsyncSession, member_id: int) -> list[Channel]:
    """The channels a member can be reached on, without duplicates."""
    identities = await list_member_identities(session=session, member_id=member_id)
    return list(dict.fromkeys(identity.channel for identity in identities))


async def consents_of(*, session: AsyncSession, member_id: int) -> list[Consent]:
    """A member's consent decisions, oldest first."""
    return list(
        await session.scalars(
            select(Consent).where(Consent.member_id == member_id).order_by(Consent.id)
        )
    )
