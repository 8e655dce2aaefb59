"""LINE webhook events (as stored in the inbox) turned into our events.

Parsed by hand from the stored dict rather than with the SDK's pydantic models: we read only the
fields we use, so a field LINE adds, omits or renames elsewhere in an event never makes us drop
a person's message, and an event type newer than the SDK is still stored and acknowledged.
Tests check that the payloads they send are valid for the SDK's (LINE's OpenAPI) models.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.channels.line.render import payload_from_postback
from bot.core.bodies import from_epoch
from bot.core.channel import UnreadableEvent, reading
from bot.core.events import (
    ChatRef,
    ChoiceSelected,
    Event,
    FileReceived,
    Followed,
    JoinedGroup,
    LeftGroup,
    LocationShared,
    MembersChanged,
    MessageUnsent,
    Origin,
    StickerReceived,
    TextReceived,
    Unfollowed,
    Unsupported,
    UserRef,
)
from db.enums import Channel, ChatKind

log = logging.getLogger(__name__)

CHANNEL = Channel.LINE
REDACTED = "redacted"  # set in a stored payload whose message the sender took back
FILE_KINDS = frozenset({"image", "video", "audio", "file"})
# Event types LINE documents that we store and acknowledge but do not act on.
KNOWN_UNSUPPORTED = frozenset(
    {
        "videoPlayComplete",
        "accountLink",
        "membership",
        "module",
        "activated",
        "deactivated",
        "botSuspended",
        "botResumed",
        "beacon",
        "delivery",
        "messageEdited",
    }
)


class MalformedEvent(UnreadableEvent):
    """A stored payload that lacks what its type requires."""


def occurred_at(timestamp_ms: object) -> datetime:
    """LINE's millisecond timestamp as an aware UTC datetime; MalformedEvent if it is none."""
    at = from_epoch(timestamp_ms, timedelta(milliseconds=1))
    if at is None:
        raise MalformedEvent("'timestamp' is missing or not an integer in range")
    return at


def _string(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"{key!r} is missing or not a string")
    return value


def _object(mapping: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = mapping.get(key)
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{key!r} is missing or not an object")
    return value


def refs(payload: Mapping[str, Any]) -> tuple[UserRef | None, ChatRef]:
    """Who acted and in which chat, from the event's `source`.

    A group's chat id is its groupId (roomId for rooms); a 1:1 chat's id is the user's id. Events
    without a source (botSuspended, botResumed) belong to the bot's own account (`destination`).
    Group events that name nobody (join, leave, memberJoined/Left) have no user: a group is not
    a person, and the dispatcher answers them in the group all the same.
    """
    source = payload.get("source")
    if not isinstance(source, Mapping):
        chat = ChatRef(channel=CHANNEL, external_id=str(payload.get("destination") or "line"))
        return None, chat
    kind = source.get("type")
    user_id = source.get("userId") if isinstance(source.get("userId"), str) else None
    if kind == "user":
        user = _string(source, "userId")
        return UserRef(channel=CHANNEL, external_id=user), ChatRef(
            channel=CHANNEL, external_id=user
        )
    if kind in {"group", "room"}:
        chat_id = _string(source, "groupId" if kind == "group" else "roomId")
        chat = ChatRef(
            channel=CHANNEL,
            external_id=chat_id,
            kind=ChatKind.GROUP if kind == "group" else ChatKind.ROOM,
        )
        return (UserRef(channel=CHANNEL, external_id=user_id) if user_id else None), chat
    raise MalformedEvent(f"unknown source type {kind!r}")


def event_from(payload: Mapping[str, Any]) -> Event | None:
    """Our event for one stored LINE event; None when nothing may or need be answered.

    Standby events (another channel holds the chat) are stored and never answered; a message its
    sender took back is stored only as a redaction marker. Raises MalformedEvent for a payload
    that lacks what its type requires (and for nothing else), so the inbox settles it instead of
    guessing.
    """
    with reading("line event"):
        return _event(payload)


def _event(payload: Mapping[str, Any]) -> Event | None:
    if payload.get(REDACTED):
        return None
    kind = payload.get("type")
    if not isinstance(kind, str):
        raise MalformedEvent("'type' is missing")
    if payload.get("mode") == "standby":
        return None
    user, chat = refs(payload)
    at = occurred_at(payload.get("timestamp"))
    token = payload.get("replyToken")
    # The token is as old as the event: LINE issues it with the webhook.
    origin = Origin(reply_token=token if isinstance(token, str) and token else None, issued_at=at)
    common: dict[str, Any] = {
        "user": user,
        "chat": chat,
        "occurred_at": at,
        "event_id": key if isinstance(key := payload.get("webhookEventId"), str) else None,
        "origin": origin,
        "raw": payload,
    }
    match kind:
        case "message":
            return _message(payload, common)
        case "postback":
            data = _string(_object(payload, "postback"), "data")
            choice = payload_from_postback(data)
            if choice is None:
                log.info("line: postback data of another version or origin ignored: %.40s", data)
                return Unsupported(kind="postback", **common)
            return ChoiceSelected(payload=choice, **common)
        case "follow":
            return Followed(**common)
        case "unfollow":
            return Unfollowed(**common)
        case "join":
            return JoinedGroup(**common)
        case "leave":
            return LeftGroup(**common)
        case "memberJoined":
            return MembersChanged(joined=_members(payload, "joined"), **common)
        case "memberLeft":
            return MembersChanged(left=_members(payload, "left"), **common)
        case "unsend":
            message_id = _string(_object(payload, "unsend"), "messageId")
            return MessageUnsent(message_id=message_id, **common)
    if kind not in KNOWN_UNSUPPORTED:
        log.info("line: unknown event type %r stored and acknowledged", kind)
    return Unsupported(kind=kind, **common)


def _members(payload: Mapping[str, Any], key: str) -> tuple[str, ...]:
    members = _object(payload, key).get("members")
    if not isinstance(members, list):
        raise MalformedEvent(f"'{key}.members' is missing")
    return tuple(
        m["userId"] for m in members if isinstance(m, Mapping) and isinstance(m.get("userId"), str)
    )


def _message(payload: Mapping[str, Any], common: dict[str, Any]) -> Event:
    message = _object(payload, "message")
    message_kind = message.get("type")
    message_id = _string(message, "id")
    if message_kind == "text":
        text = message.get("text")
        if not isinstance(text, str):
            raise MalformedEvent("a text message without 'text'")
        return TextReceived(text=text, **common)
    if message_kind in FILE_KINDS:
        file_name = message.get("fileName")
        return FileReceived(
            kind=str(message_kind),
            file_ref=message_id,
            file_name=file_name if isinstance(file_name, str) else None,
            **common,
        )
    if message_kind == "sticker":
        sticker = f"{message.get('packageId', '')}/{message.get('stickerId', '')}"
        return StickerReceived(sticker_ref=sticker, **common)
    if message_kind == "location":
        latitude, longitude = message.get("latitude"), message.get("longitude")
        if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
            raise MalformedEvent("a location without coordinates")
        return LocationShared(
            latitude=float(latitude),
            longitude=float(longitude),
            title=message.get("title") if isinstance(message.get("title"), str) else None,
            address=message.get("address") if isinstance(message.get("address"), str) else None,
            **common,
        )
    log.info("line: unknown message type %r stored and acknowledged", message_kind)
    return Unsupported(kind=f"message:{message_kind}", **common)
