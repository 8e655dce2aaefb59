"""POST /webhooks/line: signature first, malformed bodies refused, every event stored once."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from linebot.v3.webhooks import Event as SdkEvent
from sqlalchemy import select

from bot.channels.line.events import event_from
from bot.core.events import (
    ChoiceSelected,
    FileReceived,
    Followed,
    JoinedGroup,
    LeftGroup,
    LocationShared,
    MembersChanged,
    MessageUnsent,
    StickerReceived,
    TextReceived,
    Unfollowed,
    Unsupported,
)
from db.enums import ChatKind, InboxStatus
from db.models import InboundEvent
from tests.channels.line.conftest import LineHarness, endpoints
from tests.fakes.line_events import LineEvents, body, group_id, sign, user_id

U = user_id()
G = group_id()

# Every event type LINE documents, as LINE would send it, and what the bot makes of it.
DOCUMENTED: list[tuple[str, Callable[[LineEvents], dict[str, Any]], type]] = [
    ("text", lambda e: e.text(U, "สวัสดี"), TextReceived),
    ("image", lambda e: e.image(U), FileReceived),
    ("video", lambda e: e.video(U), FileReceived),
    ("audio", lambda e: e.audio(U), FileReceived),
    ("file", lambda e: e.file(U), FileReceived),
    ("location", lambda e: e.location(U), LocationShared),
    ("sticker", lambda e: e.sticker(U), StickerReceived),
    ("follow", lambda e: e.follow(U), Followed),
    ("follow-unblocked", lambda e: e.follow(U, unblocked=True), Followed),
    ("unfollow", lambda e: e.unfollow(U), Unfollowed),
    ("join", lambda e: e.join(G), JoinedGroup),
    ("leave", lambda e: e.leave(G), LeftGroup),
    ("memberJoined", lambda e: e.member_joined(G, [U]), MembersChanged),
    ("memberLeft", lambda e: e.member_left(G, [U]), MembersChanged),
    ("postback", lambda e: e.postback(U, "1|consent:yes"), ChoiceSelected),
    ("unsend", lambda e: e.unsend(U, "325708"), MessageUnsent),
    ("videoPlayComplete", lambda e: e.video_play_complete(U), Unsupported),
    ("accountLink", lambda e: e.account_link(U), Unsupported),
    ("membership", lambda e: e.membership(U), Unsupported),
    ("module", lambda e: e.module(), Unsupported),
    ("activated", lambda e: e.activated(U), Unsupported),
    ("deactivated", lambda e: e.deactivated(U), Unsupported),
    ("botSuspended", lambda e: e.bot_suspended(), Unsupported),
    ("botResumed", lambda e: e.bot_resumed(), Unsupported),
]


async def _rows(line: LineHarness) -> list[InboundEvent]:
    async with line.app.sessions() as session:
        return list(await session.scalars(select(InboundEvent).order_by(InboundEvent.id)))


@pytest.mark.parametrize(("kind", "build", "expected"), DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_test_events_follow_lines_schema(
    kind: str, build: Callable[[LineEvents], dict[str, Any]], expected: type, clock: Any
) -> None:
    """Every event the tests send is valid for the SDK's models (LINE's OpenAPI schema)."""
    event = build(LineEvents(clock))
    parsed = SdkEvent.from_dict(event)
    assert parsed.type == event["type"]
    assert type(event_from({**event, "destination": "Ubot"})) is expected, kind


async def test_every_documented_event_is_stored_and_acknowledged(line: LineHarness) -> None:
    """One webhook with every event type: 200, one row each, each read as the right event."""
    events = [build(line.events) for _, build, _ in DOCUMENTED]
    assert await line.post(*events) == 200
    rows = await _rows(line)
    assert [row.event_key for row in rows] == [e["webhookEventId"] for e in events]
    for row, (kind, _, expected) in zip(rows, DOCUMENTED, strict=True):
        assert row.payload["destination"] == "U" + "b" * 32
        assert type(line.channel.event_from(row.payload)) is expected, kind
    await line.app.drain()
    async with line.app.sessions() as session:
        statuses = set(await session.scalars(select(InboundEvent.status)))
    assert statuses == {InboxStatus.DONE}


async def test_unknown_event_type_is_logged_stored_and_acknowledged(
    line: LineHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A type LINE adds later is kept and acknowledged, and the log says so; nothing answers."""
    caplog.set_level(logging.INFO, logger="bot.channels.line")
    sent = await line.deliver(line.events.unknown(U))
    assert sent == []
    assert await line.inbox_rows() == 1
    assert "unknown event type 'hologram'" in caplog.text


async def test_forged_signature_is_refused_and_nothing_is_stored(line: LineHarness) -> None:
    """A wrong or missing signature: 401 before anything is read, no row, nothing sent."""
    raw = body(line.events.text(U, "/start ABCD2345"))
    assert await line.post_raw(raw, {"X-Line-Signature": sign(raw, secret="someone-else")}) == 401
    assert await line.post_raw(raw, {}) == 401
    assert await line.post_raw(raw, {"X-Line-Signature": "ฟหกด".encode()}) == 401
    tampered = raw.replace(b"ABCD2345", b"ZZZZ9999")
    assert await line.post_raw(tampered, {"X-Line-Signature": sign(raw)}) == 401
    await line.app.drain()
    assert await line.inbox_rows() == 0
    assert line.api.requests == []


@pytest.mark.parametrize("header", ["X-Line-Signature", "x-line-signature", "X-LINE-SIGNATURE"])
async def test_signature_header_name_is_case_insensitive(line: LineHarness, header: str) -> None:
    """However the header is spelled, a good signature is accepted."""
    raw = body(line.events.text(U, "hello"))
    assert await line.post_raw(raw, {header: sign(raw)}) == 200
    assert await line.inbox_rows() == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        b'{"destination":"U1"}',
        b'{"events":{"type":"message"}}',
        "ไม่ใช่ JSON".encode("cp874"),
    ],
    ids=[
        "truncated",
        "array",
        "no-events",
        "events-object",
        "cp874",
    ],
)
async def test_well_signed_malformed_body_is_refused_with_a_log_line(
    line: LineHarness, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """A correctly signed body that is not a LINE webhook: 400, logged, nothing stored."""
    caplog.set_level(logging.WARNING, logger="bot.channels.line")
    assert await line.post_raw(raw, {"X-Line-Signature": sign(raw)}) == 400
    assert "malformed" in caplog.text
    assert await line.inbox_rows() == 0


async def test_empty_events_list_is_lines_connection_check(line: LineHarness) -> None:
    """LINE's "Verify" button sends no events: 200, nothing stored or sent."""
    assert await line.post() == 200
    await line.app.drain()
    assert await line.inbox_rows() == 0
    assert line.api.requests == []


async def test_duplicate_event_is_stored_once_and_answered_once(line: LineHarness) -> None:
    """An event posted again (flagged as redelivery or not, even twice in one body): one reply."""
    event = line.events.text(U, "/help")
    assert await line.post(event) == 200
    assert await line.post(event, dict(event)) == 200
    redelivered = {**event, "deliveryContext": {"isRedelivery": True}}
    assert await line.post(redelivered) == 200
    await line.app.drain()
    assert await line.inbox_rows() == 1
    assert endpoints(line.api.requests) == ["reply"]


async def test_events_out_of_order_are_all_stored(line: LineHarness) -> None:
    """A later event delivered first does not hide the earlier one."""
    first = line.events.text(U, "/help", age=3)
    second = line.events.text(U, "/help", age=1)
    assert await line.post(second) == 200
    assert await line.post(first) == 200
    rows = await _rows(line)
    assert {row.event_key for row in rows} == {first["webhookEventId"], second["webhookEventId"]}
    assert rows[0].occurred_at is not None and rows[1].occurred_at is not None
    assert rows[0].occurred_at > rows[1].occurred_at  # stored in arrival order, times kept


async def test_standby_events_are_stored_and_never_answered(line: LineHarness) -> None:
    """In standby another channel holds the chat: the event is kept, nothing is sent."""
    event = line.events.text(U, "/help", mode="standby")
    assert "replyToken" not in event
    sent = await line.deliver(event, line.events.follow(U, mode="standby"))
    assert sent == []
    assert await line.inbox_rows() == 2
    rows = await _rows(line)
    assert {row.status for row in rows} == {InboxStatus.DONE}


async def test_unsent_message_is_redacted_and_not_answered(line: LineHarness) -> None:
    """A message taken back before the bot handled it is forgotten and never answered."""
    message = line.events.text(U, "รหัสผ่านของฉันคือ 1234")
    unsend = line.events.unsend(U, message["message"]["id"])
    assert await line.post(message) == 200
    assert await line.post(unsend) == 200
    await line.app.drain()
    rows = await _rows(line)
    stored = {row.event_key: row.payload for row in rows}
    assert stored[message["webhookEventId"]] == {"redacted": True}
    assert "1234" not in json.dumps([row.payload for row in rows], ensure_ascii=False)
    assert line.api.requests == []
    assert await line.post(message) == 200  # a redelivery of it stays deduplicated
    assert await line.inbox_rows() == 2


async def test_unsend_of_a_handled_message_redacts_what_we_stored(line: LineHarness) -> None:
    """Taken back after the bot answered: the stored text is removed all the same."""
    message = line.events.text(U, "/help")
    await line.deliver(message)
    await line.deliver(line.events.unsend(U, message["message"]["id"]))
    rows = await _rows(line)
    assert rows[0].payload == {"redacted": True}


def test_group_events_are_read_as_group_chats(clock: Any) -> None:
    """Source group/room → a group chat keyed by groupId/roomId, the sender as the user."""
    events = LineEvents(clock)
    said = event_from({**events.text(U, "/start ABCD2345", group=G), "destination": "Ubot"})
    assert said is not None and said.user is not None
    assert (said.chat.kind, said.chat.external_id, said.user.external_id) == (
        ChatKind.GROUP,
        G,
        U,
    )
    room = {**events.text(U, "hi"), "source": {"type": "room", "roomId": "R1", "userId": U}}
    in_room = event_from(room)
    assert in_room is not None and in_room.chat.kind is ChatKind.ROOM
    assert in_room.chat.external_id == "R1"
    left = event_from(events.member_left(G, [U, "U2"]))
    assert isinstance(left, MembersChanged) and left.left == (U, "U2")


def test_postback_of_another_version_is_not_a_choice(clock: Any) -> None:
    """Only our versioned data becomes a choice; anything else is acknowledged and ignored."""
    events = LineEvents(clock)
    ours = event_from(events.postback(U, "1|mat:s:3:1"))
    assert isinstance(ours, ChoiceSelected) and ours.payload == "mat:s:3:1"
    for foreign in ("0|consent:yes", "consent:yes", "1|", "action=buy&itemid=111"):
        assert isinstance(event_from(events.postback(U, foreign)), Unsupported), foreign
