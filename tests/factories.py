"""Test data written straight to the database: members with chat accounts on chosen channels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, Language, MemberStatus, Role
from db.models import Identity, Member, Organisation
from tests.conftest import START


@dataclass(frozen=True)
class Account:
    """A chat account to give a test member."""

    channel: Channel
    external_id: str
    blocked: bool = False
    seen_minutes_ago: int | None = None


async def add_member(
    session: AsyncSession,
    org: str,
    role: Role,
    accounts: Sequence[Account] = (),
    *,
    last_channel: Channel | None = None,
    language: Language = Language.TH,
    status: MemberStatus = MemberStatus.ACTIVE,
) -> Member:
    """A member of `org` with the given chat accounts, written straight to the database."""
    organisation_id = await session.scalar(select(Organisation.id).where(Organisation.slug == org))
    assert organisation_id is not None, org
    member = Member(
        organisation_id=organisation_id,
        role=role,
        display_name=f"{org} {role.value}",
        language=language,
        status=status,
        last_channel=last_channel or (accounts[0].channel if accounts else None),
        last_seen_at=START,
    )
    session.add(member)
    await session.flush()
    for account in accounts:
        seen = (
            START - timedelta(minutes=account.seen_minutes_ago)
            if account.seen_minutes_ago is not None
            else None
        )
        session.add(
            Identity(
                channel=account.channel,
                external_id=account.external_id,
                member_id=member.id,
                blocked=account.blocked,
                last_seen_at=seen,
            )
        )
    await session.flush()
    return member


def line(user: str, **kwargs: bool | int) -> Account:
    """A LINE account (user ids look like U + 32 hex digits)."""
    return Account(Channel.LINE, f"U{user:0>32}", **kwargs)  # type: ignore[arg-type]


def telegram(user: str, **kwargs: bool | int) -> Account:
    """A Telegram account (a numeric chat id)."""
    return Account(Channel.TELEGRAM, user, **kwargs)  # type: ignore[arg-type]


def console(user: str) -> Account:
    """A console account, which cannot receive pushed messages."""
    return Account(Channel.CONSOLE, user)
