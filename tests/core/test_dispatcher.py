"""The dispatcher's path for group events that name nobody, beside the path with a sender."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.events import (
    ChatRef,
    JoinedGroup,
    LeftGroup,
    MembersChanged,
    TextReceived,
    Unsupported,
    UserRef,
)
from bot.core.replies import Text
from bot.core.texts import Texts
from db.enums import Channel, ChatKind, Language, Role
from db.models import Chat, Identity, Member
from tests.conftest import Database
from tests.factories import Account, add_member, line, telegram

GROUP = ChatRef(channel=Channel.CONSOLE, external_id="g-team", kind=ChatKind.GROUP)


async def _identities(db: Database) -> list[str]:
    async with db.sessions() as session:
        return list(await session.scalars(select(Identity.external_id)))


async def _chat(db: Database) -> Chat | None:
    async with db.sessions() as session:
        return await session.scalar(select(Chat).where(Chat.external_id == GROUP.external_id))


async def test_join_without_a_sender_greets_the_group_in_thai(
    dispatcher: Dispatcher, seeded_database: Database, texts: Texts, clock: FrozenClock
) -> None:
    """Nobody named: the chat is stored, the greeting is Thai, no identity is made up."""
    replies = await dispatcher.handle(JoinedGroup(user=None, chat=GROUP, occurred_at=clock.now()))
    assert replies == [Text(text=texts.get(Language.TH, "groups.joined"))]
    chat = await _chat(seeded_database)
    assert chat is not None and chat.active
    assert await _identities(seeded_database) == []


async def test_leave_without_a_sender_marks_the_chat_inactive(
    dispatcher: Dispatcher, seeded_database: Database, clock: FrozenClock
) -> None:
    """Nobody named: the bot removed from a group stops counting it as live, silently."""
    now = clock.now()
    await dispatcher.handle(JoinedGroup(user=None, chat=GROUP, occurred_at=now))
    assert await dispatcher.handle(LeftGroup(user=None, chat=GROUP, occurred_at=now)) == []
    chat = await _chat(seeded_database)
    assert chat is not None and not chat.active
    assert await _identities(seeded_database) == []


async def test_members_changing_without_a_sender_are_not_answered(
    dispatcher: Dispatcher, seeded_database: Database, clock: FrozenClock
) -> None:
    """People coming and going: the chat is known, nothing is said, nobody is stored."""
    event = MembersChanged(user=None, chat=GROUP, occurred_at=clock.now(), joined=("u-new",))
    assert await dispatcher.handle(event) == []
    assert await _chat(seeded_database) is not None
    assert await _identities(seeded_database) == []


async def test_other_events_without_a_sender_leave_no_trace(
    dispatcher: Dispatcher, seeded_database: Database, clock: FrozenClock
) -> None:
    """An event that is not about the group itself and names nobody: no chat, no answer."""
    event = Unsupported(user=None, chat=GROUP, occurred_at=clock.now(), kind="reaction")
    assert await dispatcher.handle(event) == []
    assert await _chat(seeded_database) is None
    assert await _identities(seeded_database) == []


async def test_join_with_a_sender_answers_in_the_senders_language(
    dispatcher: Dispatcher, seeded_database: Database, texts: Texts, clock: FrozenClock
) -> None:
    """Where the platform names who added the bot (Telegram), they are an identity as before."""
    adder = UserRef(channel=Channel.CONSOLE, external_id="u-adder", language="en-GB")
    replies = await dispatcher.handle(JoinedGroup(user=adder, chat=GROUP, occurred_at=clock.now()))
    assert replies == [Text(text=texts.get(Language.EN, "groups.joined"))]
    assert await _identities(seeded_database) == ["u-adder"]


async def test_last_seen_is_kept_to_the_minute_and_the_channel_exactly(
    dispatcher: Dispatcher, seeded_database: Database, clock: FrozenClock
) -> None:
    """A conversation does not rewrite two rows per message; a switch of channel always counts."""
    async with seeded_database.sessions() as session, session.begin():
        member = await add_member(
            session, "yala", Role.OFFICER, [line("7"), telegram("7")], last_channel=Channel.LINE
        )

    async def says(account: Account) -> tuple[datetime | None, Channel | None, datetime | None]:
        user = UserRef(channel=account.channel, external_id=account.external_id)
        chat = ChatRef(channel=account.channel, external_id=account.external_id)
        text = TextReceived(user=user, chat=chat, occurred_at=clock.now(), text="x")
        await dispatcher.handle(text)
        async with seeded_database.sessions() as session:
            found = await session.get_one(Member, member.id)
            identity = await session.scalar(
                select(Identity).where(Identity.external_id == account.external_id)
            )
            assert identity is not None
            return identity.last_seen_at, found.last_channel, found.last_seen_at

    clock.advance(timedelta(hours=1))
    assert await says(line("7")) == (clock.now(), Channel.LINE, clock.now())
    seen_at = clock.now()
    clock.advance(timedelta(seconds=30))
    assert await says(line("7")) == (seen_at, Channel.LINE, seen_at)  # within the minute
    clock.advance(timedelta(seconds=10))
    assert await says(telegram("7")) == (clock.now(), Channel.TELEGRAM, clock.now())
    clock.advance(timedelta(minutes=2))
    assert await says(line("7")) == (clock.now(), Channel.LINE, clock.now())
