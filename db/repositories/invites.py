"""Invite codes: creation, lookup, redemption and revocation."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.enums import Role
from db.models import Invite

# A–Z and 2–9 without the look-alikes I, L and O (0 and 1 are not in the range at all).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_invite_code() -> str:
    """A random code a person can read aloud and type on a phone."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What a person typed, as a code: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def looks_like_code(text: str) -> bool:
    """True when `text` could be an invite code (so a wrong one is worth counting)."""
    code = normalise_code(text)
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


async def create_invite(
    *,
    session: AsyncSession,
    organisation_id: int,
    role: Role,
    max_uses: int = 1,
    valid_for: timedelta = timedelta(days=14),
    created_by_member_id: int | None = None,
    code: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Invite:
    """Store a new invite; `code` is given only by seed data, which must stay stable."""
    invite = Invite(
        code=code or new_invite_code(),
        organisation_id=organisation_id,
        role=role,
        max_uses=max_uses,
        expires_at=(now or utcnow()) + valid_for,
        created_by_member_id=created_by_member_id,
        note=note,
    )
    session.add(invite)
    await session.flush()
    return invite


async def get_invite(*, session: AsyncSession, code: str) -> Invite | None:
    """The invite with `code` (normalised), whatever its state."""
    return await session.scalar(select(Invite).where(Invite.code == normalise_code(code)))


class InviteState(StrEnum):
    """Where an invite stands at a moment: usable, or why not."""

    USABLE = "usable"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED_UP = "used_up"


def invite_state(invite: Invite, *, now: datetime) -> InviteState:
    """Whether `invite` may be used at `now`, and if not, why (revocation first)."""
    if invite.revoked_at is not None:
        return InviteState.REVOKED
    if invite.expires_at <= now:
        return InviteState.EXPIRED
    if invite.uses >= invite.max_uses:
        return InviteState.USED_UP
    return InviteState.USABLE


def invite_usable(invite: Invite, *, now: datetime) -> bool:
    """Not revoked, not expired, uses left."""
    return invite_state(invite, now=now) is InviteState.USABLE


async def redeem_invite(*, session: AsyncSession, invite: Invite, now: datetime) -> bool:
    """Count one use, atomically, so two people cannot take the last use together."""
    result = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.uses < Invite.max_uses,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    await session.refresh(invite)
    return True


async def list_invites(
    *,
    session: AsyncSession,
    organisation_id: int | None = None,
    include_inactive: bool = False,
    now: datetime | None = None,
) -> list[Invite]:
    """Invites, newest first, optionally only one organisation's and only usable ones."""
    query = select(Invite).order_by(Invite.created_at.desc(), Invite.id.desc())
    if organisation_id is not None:
        query = query.where(Invite.organisation_id == organisation_id)
    if not include_inactive:
        query = query.where(
            Invite.revoked_at.is_(None),
            Invite.expires_at > (now or utcnow()),
            Invite.uses < Invite.max_uses,
        )
    return list(await session.scalars(query))


async def revoke_invite(*, session: AsyncSession, code: str, now: datetime | None = None) -> bool:
    """Revoke an invite; False when there is no such code or it was already revoked."""
    invite = await get_invite(session=session, code=code)
    if invite is None or invite.revoked_at is not None:
        return False
    invite.revoked_at = now or utcnow()
    await session.flush()
    return True
