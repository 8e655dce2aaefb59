"""Signing in to the dashboard without passwords: a one-time link sent in chat opens a session.

The use cases behind `/dashboard` in chat, `citybot dashboard link` and the web pages. Tokens
are random (32 bytes), only their SHA-256 is stored; a link lasts ten minutes and opens one
session; a session lasts while it is used (eight idle hours end it) and only while its member
is active in the role it was opened with, checked on every page.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import MemberStatus, Role
from db.models import DashboardLink, DashboardSession, Member, Organisation, SigningKey
from db.repositories import audit
from db.repositories.dialect import conflict_insert

LINK_TTL = timedelta(minutes=10)
IDLE_TTL = timedelta(hours=8)
TOUCH_EVERY = timedelta(minutes=1)  # how stale `last_seen_at` may get before it is rewritten
DEPA = frozenset({Role.COORDINATOR, Role.ADMIN})
# depa sees every city; a city's executives see their own city.
VIEWERS = DEPA | {Role.EXECUTIVE}
KEY_NAME = "dashboard-cookie"


class DashboardError(Exception):
    """Why a link or a sign-in is refused: `not_allowed`, `link_unknown`, `link_expired`,
    `link_used`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at the dashboard, and from which session."""

    member: Member
    organisation: Organisation
    session_id: int
    csrf_token: str

    @property
    def is_depa(self) -> bool:
        """depa staff see every city."""
        return self.member.role in DEPA

    def may_see(self, organisation: Organisation) -> bool:
        """Whether the viewer may see this city's pages: depa any, an executive their own."""
        return self.is_depa or organisation.id == self.member.organisation_id


@dataclass(frozen=True, slots=True)
class Opened:
    """A session just opened: the token for the browser's cookie, and its viewer."""

    token: str
    viewer: Viewer


def digest(token: str) -> str:
    """What is stored of a token."""
    return sha256(token.encode()).hexdigest()


def may_use(member: Member) -> bool:
    """Whether the member may sign in: active, and depa staff or a city executive."""
    return member.status is MemberStatus.ACTIVE and member.role in VIEWERS


def link_path(token: str) -> str:
    """The path of a sign-in link."""
    return f"/dashboard/login/{token}"


async def issue_link(
    *, session: AsyncSession, member: Member, now: datetime, by: str = "chat"
) -> str:
    """A new one-time sign-in token for `member` (audited); DashboardError `not_allowed`."""
    if not may_use(member):
        raise DashboardError("not_allowed")
    token = secrets.token_urlsafe(32)
    session.add(
        DashboardLink(
            token_hash=digest(token),
            member_id=member.id,
            created_at=now,
            expires_at=now + LINK_TTL,
        )
    )
    await audit.record(
        session=session,
        action="dashboard.link",
        now=now,
        actor_member_id=member.id,
        target=f"member:{member.id}",
        details={"by": by},
    )
    return token


async def redeem_link(*, session: AsyncSession, token: str, now: datetime) -> Opened:
    """Use a sign-in link once: the session it opens (audited), or why it cannot."""
    link = await session.scalar(
        select(DashboardLink).where(DashboardLink.token_hash == digest(token)).with_for_update()
    )
    if link is None:
        raise DashboardError("link_unknown")
    if link.used_at is not None:
        raise DashboardError("link_used")
    if link.expires_at <= now:
        raise DashboardError("link_expired")
    member = await session.get_one(Member, link.member_id)
    if not may_use(member):
        raise DashboardError("not_allowed")
    link.used_at = now
    session_token = secrets.token_urlsafe(32)
    row = DashboardSession(
        token_hash=digest(session_token),
        member_id=member.id,
        role=member.role,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session=session,
        action="dashboard.signin",
        now=now,
        actor_member_id=member.id,
        target=f"member:{member.id}",
    )
    organisation = await session.get_one(Organisation, member.organisation_id)
    return Opened(session_token, Viewer(member, organisation, row.id, row.csrf_token))


async def viewer_of(*, session: AsyncSession, token: str, now: datetime) -> Viewer | None:
    """The viewer of a session token, if its session is still good; None otherwise.

    A session ends for good when it idled eight hours, or its member was erased, left the
    roles that may sign in, or holds another role than when it was opened.
    """
    found = (
        await session.execute(
            select(DashboardSession, Member)
            .join(Member, Member.id == DashboardSession.member_id)
            .where(
                DashboardSession.token_hash == digest(token), DashboardSession.ended_at.is_(None)
            )
        )
    ).first()
    if found is None:
        return None
    row, member = found
    if row.last_seen_at + IDLE_TTL <= now or not may_use(member) or member.role != row.role:
        row.ended_at = now
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    organisation = await session.get_one(Organisation, member.organisation_id)
    return Viewer(member, organisation, row.id, row.csrf_token)


async def sign_out(*, session: AsyncSession, viewer: Viewer, now: datetime) -> None:
    """End the viewer's session (audited)."""
    await session.execute(
        update(DashboardSession)
        .where(DashboardSession.id == viewer.session_id)
        .values(ended_at=now)
    )
    await audit.record(
        session=session,
        action="dashboard.signout",
        now=now,
        actor_member_id=viewer.member.id,
        target=f"member:{viewer.member.id}",
    )


async def signing_key(*, session: AsyncSession, now: datetime) -> bytes:
    """The database's cookie-signing key, made by the first process that needs it."""
    values = {"name": KEY_NAME, "secret": secrets.token_hex(32), "created_at": now}
    await session.execute(
        conflict_insert(session, SigningKey).values(**values).on_conflict_do_nothing()
    )
    secret = await session.scalar(select(SigningKey.secret).where(SigningKey.name == KEY_NAME))
    assert secret is not None
    return secret.encode()


def sign(key: bytes, token: str) -> str:
    """The cookie's value: the token and its HMAC."""
    mac = hmac.new(key, token.encode(), sha256).hexdigest()[:32]
    return f"{token}.{mac}"


def unsign(key: bytes, value: str) -> str | None:
    """The token of a cookie value whose HMAC is right; None for a forged or damaged one."""
    token = value.rpartition(".")[0]
    if not token or not hmac.compare_digest(sign(key, token), value):
        return None
    return token
