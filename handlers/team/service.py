"""Invites: who may invite whom, and creating one (audited), for chat and `citybot invite`.

An operator at the command line (`created_by=None`) may invite anyone; in chat, executives
invite their own city's officers and depa staff invite the roles `GRANTABLE` gives them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import ROLES_BY_KIND, Role
from db.models import Invite, Member, Organisation
from db.repositories import audit
from db.repositories import invites as invite_repo

INVITE_VALIDITY = timedelta(days=14)
MAX_INVITE_DAYS = 365
MAX_INVITE_USES = 500
# Who may create invites for which roles; executives only for their own city.
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.EXECUTIVE: frozenset({Role.OFFICER}),
    Role.COORDINATOR: frozenset({Role.EXECUTIVE, Role.OFFICER, Role.PARTNER, Role.COORDINATOR}),
    Role.ADMIN: frozenset(Role),
}


class InviteRefused(Exception):
    """The invite cannot be made or revoked: `reason` is `role_mismatch`, `not_allowed`,
    `limits` (uses or days out of range) or `unknown`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def role_fits(organisation: Organisation, role: Role) -> bool:
    """Whether organisations of this kind have this role (a city has no coordinators)."""
    return role in ROLES_BY_KIND[organisation.kind]


def may_invite(member: Member, organisation: Organisation, role: Role) -> bool:
    """Whether `member` may invite a `role` of `organisation` from chat."""
    if role not in GRANTABLE.get(member.role, frozenset()):
        return False
    return member.role is not Role.EXECUTIVE or organisation.id == member.organisation_id


async def _audit(
    session: AsyncSession,
    action: str,
    invite: Invite,
    by: Member | None,
    now: datetime,
    **details: object,
) -> None:
    """An invite's audit entry, by a member or (None) an operator."""
    await audit.record(
        session=session,
        now=now,
        action=action,
        actor_member_id=by.id if by else None,
        target=f"invite:{invite.code}",
        details=details,
    )


async def create_invite(
    *,
    session: AsyncSession,
    organisation: Organisation,
    role: Role,
    now: datetime,
    via: str,
    created_by: Member | None = None,
    max_uses: int = 1,
    valid_for: timedelta = INVITE_VALIDITY,
) -> Invite:
    """Store a new invite code and audit it; InviteRefused when the role or creator may not."""
    if not role_fits(organisation, role):
        raise InviteRefused("role_mismatch")
    if not (
        1 <= max_uses <= MAX_INVITE_USES
        and timedelta(days=1) <= valid_for <= timedelta(days=MAX_INVITE_DAYS)
    ):
        raise InviteRefused("limits")
    if created_by is not None and not may_invite(created_by, organisation, role):
        raise InviteRefused("not_allowed")
    invite = await invite_repo.create_invite(
        session=session,
        organisation_id=organisation.id,
        role=role,
        max_uses=max_uses,
        valid_for=valid_for,
        created_by_member_id=created_by.id if created_by else None,
        now=now,
    )
    await _audit(
        session,
        "invite.create",
        invite,
        created_by,
        now,
        organisation=organisation.slug,
        role=role.value,
        max_uses=max_uses,
        expires_at=invite.expires_at.isoformat(),
        via=via,
    )
    return invite


async def revoke_invite(
    *,
    session: AsyncSession,
    code: str,
    now: datetime,
    via: str,
    revoked_by: Member | None = None,
) -> tuple[Invite, bool]:
    """Revoke the invite with `code` (audited): it and whether it was revoked now (False when
    it already was); InviteRefused `unknown`, or `not_allowed` for one the member may not make.
    """
    invite = await invite_repo.get_invite(session=session, code=code)
    if invite is None:
        raise InviteRefused("unknown")
    if revoked_by is not None:
        organisation = await session.get_one(Organisation, invite.organisation_id)
        if not may_invite(revoked_by, organisation, invite.role):
            raise InviteRefused("not_allowed")
    revoked_now = await invite_repo.revoke_invite(session=session, code=invite.code, now=now)
    if revoked_now:
        await _audit(
            session,
            "invite.revoke",
            invite,
            revoked_by,
            now,
            role=invite.role.value,
            uses=invite.uses,
            via=via,
        )
    return invite, revoked_now
