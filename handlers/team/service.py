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
# Who may create invites for which roles; executives only for their own city.
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.EXECUTIVE: frozenset({Role.OFFICER}),
    Role.COORDINATOR: frozenset({Role.EXECUTIVE, Role.OFFICER, Role.PARTNER, Role.COORDINATOR}),
    Role.ADMIN: frozenset(Role),
}


class InviteRefused(Exception):
    """The invite cannot be made: `reason` is `role_mismatch` or `not_allowed`."""

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
    await audit.record(
        session=session,
        now=now,
        action="invite.create",
        actor_member_id=created_by.id if created_by else None,
        target=f"invite:{invite.code}",
        details={
            "organisation": organisation.slug,
            "role": role.value,
            "max_uses": max_uses,
            "expires_at": invite.expires_at.isoformat(),
            "via": via,
        },
    )
    return invite
