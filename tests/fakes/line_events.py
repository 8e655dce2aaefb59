"""LINE webhook bodies as LINE documents them, signed with the channel secret like LINE signs them.

https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects — every builder
returns one event object; `body(...)` wraps events in the request body and `sign` gives the
`X-Line-Signature` header. Timestamps come from the test's clock, ids are random but shaped like
LINE's (U…/C…/R… ids of 33 characters, 26-character ULID event ids, numeric message ids).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.core.clock import Clock

SECRET = "line-test-channel-secret"
ACCESS_TOKEN = "line-test-access-token"
BOT_USER_ID = "U" + "b" * 32  # the bot's own user id: the webhook's `destination`
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

Event = dict[str, Any]


def user_id() -> str:
    """A LINE user id."""
    return "U" + secrets.token_hex(16)


def group_id() -> str:
    """A LINE group id."""
    return "C" + secrets.token_hex(16)


def room_id() -> str:
    """A LINE room (multi-person chat) id."""
    return "R" + secrets.token_hex(16)


def event_id() -> str:
    """A webhookEventId: a ULID."""
    return "".join(secrets.choice(_CROCKFORD) for _ in range(26))


def message_id() -> str:
    """A message id: digits."""
    return str(secrets.randbelow(10**18 - 10**17) + 10**17)


def body(*events: Event, destination: str = BOT_USER_ID) -> bytes:
    """The request body LINE posts: compact JSON with `destination` and `events`."""
    document = {"destination": destination, "events": list(events)}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def sign(raw: bytes, secret: str = SECRET) -> str:
    """The X-Line-Signature of `raw`."""
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


class LineEvents:
    """Builds events as LINE would send them now (by the test clock), from one user or group."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def _base(
        self,
        kind: str,
        source: Event | None,
        *,
        reply: bool,
        age: float = 0.0,
        mode: str = "active",
        redelivery: bool = False,
    ) -> Event:
        moment = self._clock.now() - timedelta(seconds=age)
        event: Event = {
            "type": kind,
            "mode": mode,
            "timestamp": int(moment.timestamp() * 1000),
            "webhookEventId": event_id(),
            "deliveryContext": {"isRedelivery": redelivery},
        }
        if source is not None:
            event["source"] = source
        if reply and mode == "active":
            event["replyToken"] = secrets.token_hex(16)
        return event

    @staticmethod
    def source(
        user: str | None = None, *, group: str | None = None, room: str | None = None
    ) -> Event:
        """A `source` object: a user, or a group/room (with the sender when there is one)."""
        if group is not None:
            return {"type": "group", "groupId": group, **({"userId": user} if user else {})}
        if room is not None:
            return {"type": "room", "roomId": room, **({"userId": user} if user else {})}
        return {"type": "user", "userId": user}

    def message(
        self, user: str, content: Event, *, group: str | None = None, **options: Any
    ) -> Event:
        """A message event carrying `content` (with an id added)."""
        event = self._base("message", self.source(user, group=group), reply=True, **options)
        event["message"] = {"id": message_id(), **content}
        return event

    def text(self, user: str, text: str, *, group: str | None = None, **options: Any) -> Event:
        """A text message."""
        content = {"type": "text", "quoteToken": secrets.token_urlsafe(48), "text": text}
        return self.message(user, content, group=group, **options)

    def image(self, user: str, **options: Any) -> Event:
        """An image sent from the LINE app."""
        content = {
            "type": "image",
            "quoteToken": secrets.token_urlsafe(48),
            "contentProvider": {"type": "line"},
        }
        return self.message(user, content, **options)

    def video(self, user: str, **options: Any) -> Event:
        """A video of 12 seconds."""
        content = {
            "type": "video",
            "quoteToken": secrets.token_urlsafe(48),
            "duration": 12000,
            "contentProvider": {"type": "line"},
        }
        return self.message(user, content, **options)

    def audio(self, user: str, **options: Any) -> Event:
        """A voice message."""
        content = {"type": "audio", "duration": 4000, "contentProvider": {"type": "line"}}
        return self.message(user, content, **options)

    def file(self, user: str, name: str = "แผนพัฒนาเมือง.pdf", **options: Any) -> Event:
        """A file."""
        return self.message(user, {"type": "file", "fileName": name, "fileSize": 2048}, **options)

    def location(self, user: str, **options: Any) -> Event:
        """A location pin (Khon Kaen city hall)."""
        content = {
            "type": "location",
            "title": "ศาลากลางจังหวัดขอนแก่น",
            "address": "ถนนศูนย์ราชการ เมืองขอนแก่น",
            "latitude": 16.4419,
            "longitude": 102.8359,
        }
        return self.message(user, content, **options)

    def sticker(self, user: str, **options: Any) -> Event:
        """A sticker."""
        content = {
            "type": "sticker",
            "quoteToken": secrets.token_urlsafe(48),
            "packageId": "446",
            "stickerId": "1988",
            "stickerResourceType": "STATIC",
            "keywords": ["happy"],
        }
        return self.message(user, content, **options)

    def follow(self, user: str, *, unblocked: bool = False, **options: Any) -> Event:
        """The user added the bot as a friend (or unblocked it)."""
        event = self._base("follow", self.source(user), reply=True, **options)
        event["follow"] = {"isUnblocked": unblocked}
        return event

    def unfollow(self, user: str, **options: Any) -> Event:
        """The user blocked the bot."""
        return self._base("unfollow", self.source(user), reply=False, **options)

    def join(self, group: str, **options: Any) -> Event:
        """The bot was added to a group."""
        return self._base("join", self.source(group=group), reply=True, **options)

    def leave(self, group: str, **options: Any) -> Event:
        """The bot was removed from a group."""
        return self._base("leave", self.source(group=group), reply=False, **options)

    def member_joined(self, group: str, users: Sequence[str], **options: Any) -> Event:
        """People joined a group the bot is in."""
        event = self._base("memberJoined", self.source(group=group), reply=True, **options)
        event["joined"] = {"members": [{"type": "user", "userId": u} for u in users]}
        return event

    def member_left(self, group: str, users: Sequence[str], **options: Any) -> Event:
        """People left a group the bot is in."""
        event = self._base("memberLeft", self.source(group=group), reply=False, **options)
        event["left"] = {"members": [{"type": "user", "userId": u} for u in users]}
        return event

    def postback(self, user: str, data: str, *, group: str | None = None, **options: Any) -> Event:
        """A button, quick reply or rich menu area tapped."""
        event = self._base("postback", self.source(user, group=group), reply=True, **options)
        event["postback"] = {"data": data}
        return event

    def unsend(self, user: str, unsent_id: str, **options: Any) -> Event:
        """The user took a message back."""
        event = self._base("unsend", self.source(user), reply=False, **options)
        event["unsend"] = {"messageId": unsent_id}
        return event

    def video_play_complete(self, user: str, **options: Any) -> Event:
        """A video we sent was watched to the end."""
        event = self._base("videoPlayComplete", self.source(user), reply=True, **options)
        event["videoPlayComplete"] = {"trackingId": "workshop-2018-recording"}
        return event

    def account_link(self, user: str, **options: Any) -> Event:
        """The user linked their account on a provider's site."""
        event = self._base("accountLink", self.source(user), reply=True, **options)
        event["link"] = {"result": "ok", "nonce": secrets.token_urlsafe(16)}
        return event

    def membership(self, user: str, **options: Any) -> Event:
        """The user joined a paid membership of the account."""
        event = self._base("membership", self.source(user), reply=True, **options)
        event["membership"] = {"type": "joined", "membershipId": 3189}
        return event

    def module(self, **options: Any) -> Event:
        """A module channel was attached to the account."""
        event = self._base("module", None, reply=False, **options)
        event["module"] = {"type": "attached", "botId": BOT_USER_ID, "scopes": ["message:send"]}
        return event

    def activated(self, user: str, **options: Any) -> Event:
        """A module channel took control of a chat."""
        event = self._base("activated", self.source(user), reply=False, **options)
        later = self._clock.now() + timedelta(days=1)
        event["chatControl"] = {"expireAt": int(later.timestamp() * 1000)}
        return event

    def deactivated(self, user: str, **options: Any) -> Event:
        """A module channel gave a chat back."""
        return self._base("deactivated", self.source(user), reply=False, **options)

    def bot_suspended(self, **options: Any) -> Event:
        """The module channel was suspended."""
        return self._base("botSuspended", None, reply=False, **options)

    def bot_resumed(self, **options: Any) -> Event:
        """The module channel was resumed."""
        return self._base("botResumed", None, reply=False, **options)

    def unknown(self, user: str, **options: Any) -> Event:
        """An event type LINE may add in the future."""
        event = self._base("hologram", self.source(user), reply=True, **options)
        event["hologram"] = {"shape": "city"}
        return event
