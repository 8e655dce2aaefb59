"""The console as a channel like the others: inbox, dispatcher, outbox, then `send` renders."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.channels.console import ConsoleChannel
from bot.core.answering import NoAnswer
from bot.core.dispatcher import Dispatcher
from bot.core.events import ChatRef, MembersChanged
from bot.core.failures import InboxRetries
from bot.core.inbox import InboxProcessor
from db.enums import Channel, ChatKind, InboxStatus, OutboxStatus
from db.models import Identity, InboundEvent, OutboundMessage
from tests.chatdriver import ChatDriver, console_path
from tests.conftest import Database
from tests.factories import dispatcher_with_a_bug


async def _rows(db: Database) -> tuple[list[InboundEvent], list[OutboundMessage]]:
    async with db.sessions() as session:
        inbox = await session.scalars(select(InboundEvent).order_by(InboundEvent.id))
        outbox = await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
        return list(inbox), list(outbox)


async def test_a_typed_line_is_stored_handled_queued_and_sent(
    console: ConsoleChannel, seeded_database: Database
) -> None:
    """One line: an inbox row (done), an outbox row under its key (sent), the answer rendered."""
    answer = await console.say("/lang en", user_id="dev")

    assert answer == "Language set to English."
    (stored,), (sent,) = await _rows(seeded_database)
    assert (stored.channel, stored.status) == (Channel.CONSOLE, InboxStatus.DONE)
    assert (sent.channel, sent.status) == (Channel.CONSOLE, OutboxStatus.SENT)
    assert sent.idempotency_key == f"reply:console:{stored.event_key}"
    assert sent.payload["context"] == {"reply_token": stored.event_key}


async def test_numbers_pick_the_choices_each_chat_was_shown_last(console: ConsoleChannel) -> None:
    """Each terminal's numbers are its own: `1` is the first option that chat was offered."""
    offered = await console.say("/lang", user_id="anna")
    await console.say("/lang", user_id="somchai")

    assert "  1. " in offered
    picked = await console.say("2", user_id="anna")
    assert picked == "Language set to English."
    assert await console.say("9", user_id="somchai") != picked  # no option 9: it is just text


async def test_an_event_with_nothing_to_say_is_still_answered(
    chat: ChatDriver, seeded_database: Database
) -> None:
    """A reply-less event ends with an empty answer (an acknowledgement), not a wait."""
    group = ChatRef(channel=Channel.CONSOLE, external_id="g-team", kind=ChatKind.GROUP)
    now = chat.dispatcher.services.clock.now()
    joined = MembersChanged(user=None, chat=group, occurred_at=now, joined=("u-new",))

    assert await chat.event(joined) == []
    _, (sent,) = await _rows(seeded_database)
    assert sent.status is OutboxStatus.SENT and sent.payload["replies"] == []


async def test_a_handler_bug_reaches_the_console_as_an_apology(
    seeded_database: Database, dispatcher: Dispatcher
) -> None:
    """The apology takes the same path: queued with the dead inbox row, sent, rendered."""
    failing = dispatcher_with_a_bug(dispatcher, seeded_database.sessions)
    one_try = InboxRetries(max_attempts=1)
    console = console_path(failing, seeded_database.engine, seeded_database.sessions, one_try)

    assert "ขออภัย" in await console.say("/boom", user_id="dev")
    (stored,), (sent,) = await _rows(seeded_database)
    assert stored.status is InboxStatus.DEAD and sent.status is OutboxStatus.SENT


async def test_any_channels_account_can_speak_through_the_console(
    new_chat: Callable[..., ChatDriver], seeded_database: Database
) -> None:
    """The tests' LINE account is a LINE identity; its answers still come back by console."""
    line_member = new_chat("U-line-somchai", channel=Channel.LINE)
    await line_member.send("/lang en")

    assert line_member.text == "Language set to English."
    async with seeded_database.sessions() as session:
        identity = await session.scalar(select(Identity))
    assert identity is not None and identity.channel is Channel.LINE
    _, (sent,) = await _rows(seeded_database)
    assert sent.channel is Channel.CONSOLE and sent.recipients == ["U-line-somchai"]


async def test_no_answer_in_time_is_said_not_waited_for_forever(
    seeded_database: Database, dispatcher: Dispatcher
) -> None:
    """With nobody working the inbox, the caller gives up after its timeout with NoAnswer."""

    async def idle(_channel: Channel) -> int:
        return 0

    inbox = InboxProcessor(
        engine=seeded_database.engine,
        sessions=seeded_database.sessions,
        dispatcher=dispatcher,
        adapters={},
        clock=dispatcher.services.clock,
    )
    stalled = ConsoleChannel(
        ingest=inbox.ingest, drive=idle, services=dispatcher.services, timeout=0.2
    )

    with pytest.raises(NoAnswer, match=r"no answer within 0\.2 s"):
        await stalled.say("/help", user_id="dev")
