"""LINE's group events that name nobody (join, leave, memberJoined/Left): answered in the group,
and no group is ever stored as if it were a person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.line.events import event_from
from db.enums import Channel, ChatKind, InboxStatus
from db.models import Chat, Identity, InboundEvent
from tests.channels.line.conftest import LineHarness, endpoints, words
from tests.fakes.line_events import LineEvents, group_id, room_id, user_id


async def _identities(line: LineHarness) -> list[str]:
    async with line.app.sessions() as session:
        return list(await session.scalars(select(Identity.external_id).order_by(Identity.id)))


async def _chat(line: LineHarness, external_id: str) -> Chat:
    async with line.app.sessions() as session:
        chat = await session.scalar(
            select(Chat).where(Chat.channel == Channel.LINE, Chat.external_id == external_id)
        )
    assert chat is not None
    return chat


async def _statuses(line: LineHarness) -> set[InboxStatus]:
    async with line.app.sessions() as session:
        return set(await session.scalars(select(InboundEvent.status)))


def test_group_events_name_nobody(clock: Any) -> None:
    """join, leave, memberJoined and memberLeft are read with no user, in the group's chat."""
    events, group = LineEvents(clock), group_id()
    for payload in (
        events.join(group),
        events.leave(group),
        events.member_joined(group, [user_id()]),
        events.member_left(group, [user_id()]),
    ):
        event = event_from(payload)
        assert event is not None and event.user is None, payload["type"]
        assert (event.chat.external_id, event.chat.kind) == (group, ChatKind.GROUP)


async def test_join_greets_the_group_without_an_identity(line: LineHarness) -> None:
    """The bot added to a group: the greeting is the reply to the join, no identity is made."""
    group = group_id()
    line.api.groups[group] = "ทีมเมืองอัจฉริยะยะลา"
    join = line.events.join(group)
    sent = await line.deliver(join)
    assert endpoints(sent) == ["reply"]
    assert sent[0].json["replyToken"] == join["replyToken"]
    assert "/start" in words(sent)
    assert await _identities(line) == []
    chat = await _chat(line, group)
    assert (chat.kind, chat.title, chat.active) == (ChatKind.GROUP, "ทีมเมืองอัจฉริยะยะลา", True)
    assert await _statuses(line) == {InboxStatus.DONE}


async def test_join_of_a_room_greets_it_too(line: LineHarness) -> None:
    """A multi-person room (no group name to ask for) is greeted the same way."""
    room = room_id()
    join = {**line.events.join(room), "source": line.events.source(room=room)}
    sent = await line.deliver(join)
    assert endpoints(sent) == ["reply"]
    assert "/start" in words(sent)
    assert await _identities(line) == []
    assert (await _chat(line, room)).kind is ChatKind.ROOM


async def test_leave_marks_the_group_inactive_without_an_identity(line: LineHarness) -> None:
    """The bot removed from a group: nothing is sent, the chat is inactive, nobody is stored."""
    group = group_id()
    await line.deliver(line.events.join(group))
    sent = await line.deliver(line.events.leave(group))
    assert sent == []
    assert not (await _chat(line, group)).active
    assert await _identities(line) == []
    assert await _statuses(line) == {InboxStatus.DONE}


async def test_added_again_after_a_removal_the_group_is_active(line: LineHarness) -> None:
    """Removed, then added back: the group is greeted again and live again."""
    group = group_id()
    await line.deliver(line.events.leave(group))
    assert not (await _chat(line, group)).active
    sent = await line.deliver(line.events.join(group))
    assert "/start" in words(sent)
    assert (await _chat(line, group)).active


@pytest.mark.parametrize(
    "build", [LineEvents.member_joined, LineEvents.member_left], ids=["joined", "left"]
)
async def test_people_coming_and_going_are_not_answered(
    line: LineHarness, build: Callable[[LineEvents, str, list[str]], dict[str, Any]]
) -> None:
    """memberJoined/Left: the group's chat is known, nothing is sent, nobody is an identity."""
    group = group_id()
    sent = await line.deliver(build(line.events, group, [user_id()]))
    assert sent == []
    assert (await _chat(line, group)).active
    assert await _identities(line) == []
    assert await _statuses(line) == {InboxStatus.DONE}


async def test_a_person_in_the_group_is_still_an_identity(line: LineHarness) -> None:
    """After a join, someone typing in the group is stored as themself, the group is not."""
    group, person = group_id(), user_id()
    await line.deliver(line.events.join(group))
    await line.deliver(line.events.text(person, "/help", group=group))
    assert await _identities(line) == [person]


async def test_the_bots_own_account_events_stay_unanswered(line: LineHarness) -> None:
    """botSuspended/botResumed name nobody and no group: no chat, no identity, nothing sent."""
    sent = await line.deliver(line.events.bot_suspended(), line.events.bot_resumed())
    assert sent == []
    assert await _identities(line) == []
    async with line.app.sessions() as session:
        assert list(await session.scalars(select(Chat))) == []
