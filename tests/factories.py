"""Test data written straight to the database: members with chat accounts on chosen channels."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import Result

from bot.cli.support import in_session
from bot.core.authz import ANYONE
from bot.core.context import Context
from bot.core.dispatcher import Dispatcher
from bot.core.events import Event
from bot.core.replies import Reply
from bot.core.router import Router
from bot.settings import Settings
from db.enums import Channel, Language, MemberStatus, Role
from db.models import Identity, Member, Organisation
from handlers import ROUTERS
from tests.conftest import START

T = TypeVar("T")

# What enables both platforms for a CLI test (no call is made: commands only queue).
PLATFORMS = {
    "LINE_CHANNEL_SECRET": "line-secret",
    "LINE_CHANNEL_ACCESS_TOKEN": "line-token",
    "TELEGRAM_BOT_TOKEN": "123456:telegram-token",
}


def one_line_error(result: Result, *fragments: str) -> None:
    """A command refused as the CLI must: exit 2, one `error:` line holding every fragment."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def in_database(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` in one committed transaction on `url`, from synchronous code, as the CLI runs it."""
    return in_session(Settings(_env_file=None, database_url=url), work)  # type: ignore[call-arg]


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


async def add_members_in_bulk(
    session: AsyncSession,
    org: str,
    role: Role,
    accounts: Sequence[Account],
    *,
    language: Language = Language.TH,
) -> list[int]:
    """One active member of `org` per account, in two statements: audiences of thousands.

    The ids come back in the order of `accounts`.
    """
    if not accounts:
        return []  # an empty parameter list would insert one row of defaults
    organisation_id = await session.scalar(select(Organisation.id).where(Organisation.slug == org))
    assert organisation_id is not None, org
    members = [
        {
            "organisation_id": organisation_id,
            "role": role,
            "display_name": f"{org} {account.external_id}",
            "language": language,
            "status": MemberStatus.ACTIVE,
            "last_channel": account.channel,
            "last_seen_at": START,
        }
        for account in accounts
    ]
    ids = list(
        await session.scalars(
            insert(Member).returning(Member.id, sort_by_parameter_order=True), members
        )
    )
    await session.execute(
        insert(Identity),
        [
            {
                "channel": account.channel,
                "external_id": account.external_id,
                "member_id": member_id,
                "blocked": account.blocked,
            }
            for account, member_id in zip(accounts, ids, strict=True)
        ],
    )
    return ids


def dispatcher_with_a_bug(
    dispatcher: Dispatcher, sessions: async_sessionmaker[AsyncSession]
) -> Dispatcher:
    """`dispatcher` with a `/boom` command whose handler raises, to meet a handler bug."""
    broken = Router("broken")

    @broken.command("boom", access=ANYONE)
    async def boom(_event: Event, _ctx: Context) -> list[Reply]:
        raise RuntimeError("bug")

    return dispatcher_with(broken, dispatcher, sessions)


def dispatcher_with(
    router: Router, dispatcher: Dispatcher, sessions: async_sessionmaker[AsyncSession]
) -> Dispatcher:
    """`dispatcher` with `router`'s routes first, ahead of the bot's own."""
    return Dispatcher(sessions=sessions, routers=[router, *ROUTERS], services=dispatcher.services)
