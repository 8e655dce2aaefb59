"""What platforms tell us about chat accounts and chats: names, languages, reachability, roles.

Channels fetch profiles off the webhook path and cache them here, so a name or a language is
asked of the platform once per account rather than once per message.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, ChatKind, Language, MemberStatus, Role
from db.models import Identity, Member
from db.repositories.identities import ensure_chat, ensure_identity

_NAME_LIMIT = 200  # identities.display_name and chats.title


async def has_profile(*, session: AsyncSession, channel: Channel, external_id: str) -> bool:
    """Whether this account's display name is cached already."""
    name = await session.scalar(
        select(Identity.display_name).where(
            Identity.channel == channel, Identity.external_id == external_id
        )
    )
    return name is not None


async def save_profile(
    *,
    session: AsyncSession,
    channel: Channel,
    external_id: str,
    display_name: str | None,
    language: Language | None,
    now: datetime,
) -> Identity:
    """Cache an account's profile, creating its identity on first contact; the caller commits.

    A language we do not speak (LINE reports e.g. `ja`) leaves the stored hint unchanged.
    """
    identity, _ = await ensure_identity(
        session=session, channel=channel, external_id=external_id, language=language, now=now
    )
    if display_name:
        identity.display_name = display_name[:_NAME_LIMIT]
    if language is not None:
        identity.language = language
    identity.updated_at = now
    return identity


async def save_chat_title(
    *,
    session: AsyncSession,
    channel: Channel,
    external_id: str,
    kind: ChatKind,
    title: str,
    now: datetime,
) -> None:
    """Cache a group's name (shown to operators and in announcements); the caller commits."""
    await ensure_chat(
        session=session,
        channel=channel,
        external_id=external_id,
        kind=kind,
        title=title[:_NAME_LIMIT],
        now=now,
    )


async def blocked_accounts(
    *, session: AsyncSession, channel: Channel, external_ids: Collection[str]
) -> set[str]:
    """Which of these accounts blocked the bot (nothing may be sent to them)."""
    if not external_ids:
        return set()
    found = await session.scalars(
        select(Identity.external_id).where(
            Identity.channel == channel,
            Identity.external_id.in_(list(external_ids)),
            Identity.blocked.is_(True),
        )
    )
    return set(found)


async def reachable_accounts(*, session: AsyncSession, channel: Channel) -> dict[str, Role | None]:
    """Every account on `channel` that has not blocked the bot, with its active member's role.

    None for accounts of newcomers and of erased members: they get the newcomers' menu.
    """
    rows = await session.execute(
        select(Identity.external_id, Member.role, Member.status)
        .outerjoin(Member, Member.id == Identity.member_id)
        .where(Identity.channel == channel, Identity.blocked.is_(False))
        .order_by(Identity.id)
    )
    return {
        external_id: role if status is MemberStatus.ACTIVE else None
        for external_id, role, status in rows
    }
