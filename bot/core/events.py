"""What came in: platform-neutral events that adapters build and handlers receive.

Every event carries the channel, who sent it, in which chat, when, its `origin` (what the
adapter needs to answer it: a reply token, message ids), and the platform's original payload in
`raw` (the one escape hatch, for logging and debugging; neither adapters nor handlers read it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.replies import Button
from db.enums import Channel, ChatKind


@dataclass(frozen=True, kw_only=True, slots=True)
class UserRef:
    """The sender's chat account as the platform describes it."""

    channel: Channel
    external_id: str
    display_name: str | None = None
    language: str | None = None  # the platform's language hint, e.g. Telegram's language_code


@dataclass(frozen=True, kw_only=True, slots=True)
class ChatRef:
    """The conversation an event happened in: a 1:1 chat or a group."""

    channel: Channel
    external_id: str
    kind: ChatKind = ChatKind.USER
    title: str | None = None

    @property
    def is_group(self) -> bool:
        """Groups and rooms get only what was asked for, never unprompted help."""
        return self.kind is not ChatKind.USER


@dataclass(frozen=True, kw_only=True, slots=True)
class Origin:
    """Where on its platform an event came from: what its adapter needs to answer it.

    Filled by the adapter's parser and read back only by the same adapter (its reply context);
    handlers never look at it. Fields a platform does not have stay empty.
    """

    reply_token: str | None = None  # a single-use handle to answer this very event
    issued_at: datetime | None = None  # when the platform issued the token (it ages)
    message_id: str | None = None  # the message this event is, or whose button was pressed
    query_id: str | None = None  # a button press the platform waits to see acknowledged
    thread_id: str | None = None  # the topic (thread) of a group the answer belongs in
    links: tuple[tuple[Button, ...], ...] = ()  # link buttons of the pressed message, by row


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """Base of every event."""

    user: UserRef | None
    chat: ChatRef
    occurred_at: datetime
    event_id: str | None = None
    origin: Origin = field(default_factory=Origin)
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def channel(self) -> Channel:
        """The channel the event came from."""
        return self.chat.channel


@dataclass(frozen=True, kw_only=True, slots=True)
class TextReceived(Event):
    """A text message."""

    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ChoiceSelected(Event):
    """A button, quick reply or numbered choice picked; `payload` is what our reply put there."""

    payload: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Followed(Event):
    """The user added (or unblocked) the bot."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Unfollowed(Event):
    """The user blocked the bot: nothing more may be sent to them."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Unblocked(Event):
    """The user unblocked the bot but asked for nothing yet: reachable again, nothing to say.

    Where unblocking is all the platform tells (LINE), adapters send `Followed` instead; where
    the person's client starts the conversation itself right after (Telegram's /start), a
    greeting here would be the first of two.
    """


@dataclass(frozen=True, kw_only=True, slots=True)
class FileReceived(Event):
    """An image, video, audio or file; `file_ref` lets the adapter fetch it if a feature asks."""

    kind: str
    file_ref: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class StickerReceived(Event):
    """A sticker: friendly, but not something to act on."""

    sticker_ref: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class LocationShared(Event):
    """A location pin."""

    latitude: float
    longitude: float
    title: str | None = None
    address: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class JoinedGroup(Event):
    """The bot was added to a group or room."""


@dataclass(frozen=True, kw_only=True, slots=True)
class LeftGroup(Event):
    """The bot was removed from a group or room."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ChatMoved(Event):
    """A group goes on under a new id (`chat`): what belonged to `moved_from` follows it.

    Telegram gives an upgraded group (group → supergroup) a new chat id, and the old one stops
    working; the team chat's city and the messages queued for it must not stay behind.
    """

    moved_from: str


@dataclass(frozen=True, kw_only=True, slots=True)
class MembersChanged(Event):
    """People joined or left a group the bot is in."""

    joined: tuple[str, ...] = ()
    left: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageUnsent(Event):
    """The user took a message back: we forget what we stored of it."""

    message_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Unsupported(Event):
    """An event kind we store and acknowledge but do not act on."""

    kind: str
