"""A member's own account: language, linking a second chat account, erasure (PDPA).

Plain functions over a session: chat calls them, and the dashboard's member pages may.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, Language
from db.models import Identity, LinkCode, Member
from db.repositories import audit
from db.repositories.accounts import erase_member, linked_channels
from db.repositories.links import create_link_code, take_link_code

LINK_TTL = timedelta(minutes=10)
# What people type after /lang: codes, and the languages' names in both languages.
LANGUAGE_WORDS = {
    "th": Language.TH,
    "thai": Language.TH,
    "ไทย": Language.TH,
    "ภาษาไทย": Language.TH,
    "en": Language.EN,
    "english": Language.EN,
    "อังกฤษ": Language.EN,
    "ภาษาอังกฤษ": Language.EN,
}


class LinkOutcome(StrEnum):
    """What typing a link code came to."""

    LINKED = "linked"
    INVALID = "invalid"
    ALREADY = "already"  # the account belongs to the code's member already
    OTHER_MEMBER = "other_member"  # the account belongs to someone else


def language_named(typed: str) -> Language | None:
    """The language `typed` names (`en`, `English`, `อังกฤษ`…), or None."""
    return LANGUAGE_WORDS.get(" ".join(typed.split()).casefold())


def set_language(*, identity: Identity, member: Member | None, language: Language) -> None:
    """Persist the language: on the member if registered, and on the chat account."""
    if member is not None:
        member.language = language
    identity.language = language


async def issue_link_code(
    *, session: AsyncSession, member: Member, identity: Identity, now: datetime
) -> LinkCode:
    """A one-time code to type on the member's other chat app."""
    return await create_link_code(
        session=session, member_id=member.id, identity_id=identity.id, now=now, ttl=LINK_TTL
    )


async def link_identity(
    *, session: AsyncSession, identity: Identity, member: Member | None, code: str, now: datetime
) -> LinkOutcome:
    """Attach `identity` to the member who asked for `code`, audited, if it is free to link.

    The code is spent either way: a code typed into the wrong account is not reusable.
    """
    link = await take_link_code(session=session, code="".join(code.split()), now=now)
    if link is None:
        return LinkOutcome.INVALID
    if member is not None:
        return LinkOutcome.ALREADY if member.id == link.member_id else LinkOutcome.OTHER_MEMBER
    identity.member_id = link.member_id
    await session.flush()
    await audit.record(
        session=session,
        action="identity.link",
        now=now,
        actor_member_id=link.member_id,
        target=f"identity:{identity.id}",
        details={"channel": identity.channel.value},
    )
    return LinkOutcome.LINKED


async def channels_of(*, session: AsyncSession, member: Member) -> list[Channel]:
    """The chat apps a member can be reached on."""
    return await linked_channels(session=session, member_id=member.id)


async def forget(*, session: AsyncSession, member: Member, now: datetime) -> int:
    """Erase the member's personal data, audited; how many chat accounts were removed."""
    member_id = member.id
    removed = await erase_member(session=session, member=member, now=now)
    await audit.record(
        session=session,
        action="member.erase",
        now=now,
        actor_member_id=member_id,
        target=f"member:{member_id}",
        details={"identities_removed": removed},
    )
    return removed
