"""Telegram updates → our events: python-telegram-bot parses, this module decides what each means.

The webhook stores the update as Telegram sent it; parsing happens here, in the inbox processor,
so a malformed update fails its own row instead of the request that carried it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from telegram import (
    Chat,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    MaybeInaccessibleMessage,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, UpdateType

from bot.core.bodies import from_epoch
from bot.core.channel import UnreadableEvent, reading
from bot.core.events import (
    ChatMoved,
    ChatRef,
    ChoiceSelected,
    Event,
    FileReceived,
    JoinedGroup,
    LeftGroup,
    LocationShared,
    MembersChanged,
    Origin,
    StickerReceived,
    TextReceived,
    Unblocked,
    Unfollowed,
    Unsupported,
    UserRef,
)
from bot.core.replies import Button
from db.enums import Channel, ChatKind

log = logging.getLogger(__name__)

# The kinds we act on; `set-webhook` and the poller ask Telegram for exactly these.
ALLOWED_UPDATES: tuple[str, ...] = (
    UpdateType.MESSAGE,
    UpdateType.EDITED_MESSAGE,
    UpdateType.CALLBACK_QUERY,
    UpdateType.MY_CHAT_MEMBER,
    UpdateType.CHAT_MEMBER,
    UpdateType.MESSAGE_REACTION,
)
# Our callback data: a version prefix, so buttons already in people's chats stay readable after
# the format changes. Telegram allows 64 bytes of callback data.
CALLBACK_PREFIX = "1|"
CALLBACK_DATA_LIMIT = 64

_PRESENT = frozenset(
    {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}
)


def decode_callback(data: str | None) -> str:
    """The payload our button carried; anything else comes back as is (the router ignores it)."""
    if data is None:
        return ""
    return data.removeprefix(CALLBACK_PREFIX) if data.startswith(CALLBACK_PREFIX) else data


def update_kind(payload: Mapping[str, Any]) -> str:
    """The update's kind: the one field besides `update_id` (Bot API: at most one is present)."""
    return next((key for key in payload if key != "update_id"), "empty")


def update_time(payload: Mapping[str, Any]) -> datetime | None:
    """When the update's message or change happened, if it says so sensibly (cheap: no parsing)."""
    for value in payload.values():
        if isinstance(value, Mapping):
            stamp = value.get("date")
            if isinstance(stamp, int) and stamp > 0:
                return from_epoch(stamp, timedelta(seconds=1))
    return None


_T = TypeVar("_T")


def _optional(value: object, kind: type[_T], name: str) -> _T | None:
    """`value` if it is None or a `kind`: python-telegram-bot checks no types, and what reaches
    an event must be what its type says (a boolean language code broke the dispatcher)."""
    if value is None or (isinstance(value, kind) and not isinstance(value, bool)):
        return value
    raise UnreadableEvent(f"{name} is a {type(value).__name__}, not a {kind.__name__}")


def _hint(value: object, kind: type[_T]) -> _T | None:
    """`value` if it is a `kind`, else None: a name or a language hint of the wrong type is no
    reason to leave a person unanswered, only to go without the hint."""
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


def _required(value: object, kind: type[_T], name: str) -> _T:
    """`value` if it is a `kind`; UnreadableEvent if it is missing or of another type."""
    checked = _optional(value, kind, name)
    if checked is None:
        raise UnreadableEvent(f"{name} is missing")
    return checked


def _id(value: object, name: str) -> str:
    """A Telegram id (an integer) as our external id."""
    return str(_required(value, int, name))


def _chat_ref(chat: Chat) -> ChatRef:
    kind = ChatKind.USER if chat.type == ChatType.PRIVATE else ChatKind.GROUP
    return ChatRef(
        channel=Channel.TELEGRAM,
        external_id=_id(chat.id, "chat.id"),
        kind=kind,
        title=_hint(chat.title, str),
    )


def _user_ref(user: User | None) -> UserRef | None:
    # Bots (including GroupAnonymousBot, which stands in for anonymous admins) are nobody we
    # can register or answer personally.
    if user is None or user.is_bot:
        return None
    names = (_hint(user.first_name, str), _hint(user.last_name, str))
    return UserRef(
        channel=Channel.TELEGRAM,
        external_id=_id(user.id, "from.id"),
        display_name=" ".join(name for name in names if name) or None,
        language=_hint(user.language_code, str),
    )


def _thread(message: MaybeInaccessibleMessage) -> str | None:
    """The forum topic a message belongs to, where answers to it go too."""
    if isinstance(message, Message) and message.is_topic_message and message.message_thread_id:
        return _id(message.message_thread_id, "message_thread_id")
    return None


def _press_origin(query_id: str, message: MaybeInaccessibleMessage | None) -> Origin:
    """A button press: the query to acknowledge, and the message whose keyboard is retired.

    A message too old to be shown to the bot (date 0) cannot be edited: only the query counts.
    """
    if message is None:
        return Origin(query_id=query_id)
    if not message.is_accessible or not isinstance(message, Message):
        return Origin(query_id=query_id, thread_id=_thread(message))
    markup = message.reply_markup
    rows = markup.inline_keyboard if markup is not None else ()
    # The link buttons stay under the pressed message; the rest is what the press answered.
    links = tuple(
        kept for kept in (tuple(_link(key) for key in row if key.url) for row in rows) if kept
    )
    return Origin(
        query_id=query_id,
        message_id=_id(message.message_id, "message_id"),
        thread_id=_thread(message),
        links=links,
    )


def _link(key: InlineKeyboardButton) -> Button:
    """A link button of the pressed message, to stay under it."""
    return Button(
        label=_required(key.text, str, "button.text"), url=_required(key.url, str, "button.url")
    )


def _is_present(member: ChatMember) -> bool:
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in _PRESENT


class UpdateReader:
    """Reads stored updates for one bot (its id, from the token, tells its own joins apart)."""

    def __init__(self, *, bot_id: int | None) -> None:
        self._bot_id = bot_id

    def event(self, payload: Mapping[str, Any], *, received_at: datetime) -> Event | None:
        """The event in a stored update; None when nothing to do; UnreadableEvent (and nothing
        else) for a malformed one.

        `received_at` stands in for updates without a time of their own (button presses).
        """
        with reading("telegram update"):
            return self._event(payload, received_at)

    def _event(self, payload: Mapping[str, Any], received_at: datetime) -> Event | None:
        update_id = payload.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise UnreadableEvent(f"update without an integer update_id: {update_id!r}")
        update = Update.de_json(dict(payload), None)
        common: dict[str, Any] = {"event_id": str(update_id), "raw": payload}
        if update.message is not None:
            return self._message(update.message, common)
        if update.edited_message is not None:
            # An edit is read as what the person now says (a corrected invite code works).
            return self._message(update.edited_message, common)
        if update.callback_query is not None:
            query = update.callback_query
            user = _user_ref(query.from_user)
            chat = (
                _chat_ref(query.message.chat)
                if query.message is not None
                else ChatRef(
                    channel=Channel.TELEGRAM, external_id=_id(query.from_user.id, "from.id")
                )
            )
            return ChoiceSelected(
                user=user,
                chat=chat,
                occurred_at=received_at,
                payload=decode_callback(_optional(query.data, str, "callback_query.data")),
                origin=_press_origin(_required(query.id, str, "callback_query.id"), query.message),
                **common,
            )
        if update.my_chat_member is not None:
            return self._my_membership(update.my_chat_member, common)
        if update.chat_member is not None:
            return self._membership(update.chat_member, common)
        return self._unsupported(update, update_kind(payload), received_at, common)

    def _message(self, message: Message, common: dict[str, Any]) -> Event | None:
        base: dict[str, Any] = {
            "user": _user_ref(message.from_user),
            "chat": _chat_ref(message.chat),
            "occurred_at": message.date,
            "origin": Origin(
                message_id=_id(message.message_id, "message_id"), thread_id=_thread(message)
            ),
            **common,
        }
        if message.text is not None:
            return TextReceived(text=_required(message.text, str, "text"), **base)
        if message.photo:
            largest = message.photo[-1]
            return FileReceived(kind="image", file_ref=largest.file_id, **base)
        if message.animation is not None:
            found = message.animation
            return FileReceived(
                kind="video",
                file_ref=found.file_id,
                file_name=found.file_name,
                mime_type=found.mime_type,
                **base,
            )
        if message.document is not None:
            document = message.document
            return FileReceived(
                kind="file",
                file_ref=document.file_id,
                file_name=document.file_name,
                mime_type=document.mime_type,
                **base,
            )
        if message.video is not None:
            video = message.video
            return FileReceived(
                kind="video",
                file_ref=video.file_id,
                file_name=video.file_name,
                mime_type=video.mime_type,
                **base,
            )
        if message.video_note is not None:
            return FileReceived(kind="video", file_ref=message.video_note.file_id, **base)
        if message.voice is not None:
            voice = message.voice
            return FileReceived(
                kind="audio", file_ref=voice.file_id, mime_type=voice.mime_type, **base
            )
        if message.audio is not None:
            audio = message.audio
            return FileReceived(
                kind="audio",
                file_ref=audio.file_id,
                file_name=audio.file_name,
                mime_type=audio.mime_type,
                **base,
            )
        if message.sticker is not None:
            return StickerReceived(sticker_ref=message.sticker.file_unique_id, **base)
        if message.venue is not None:
            venue = message.venue
            return LocationShared(
                latitude=venue.location.latitude,
                longitude=venue.location.longitude,
                title=venue.title,
                address=venue.address,
                **base,
            )
        if message.location is not None:
            return LocationShared(
                latitude=message.location.latitude, longitude=message.location.longitude, **base
            )
        if message.new_chat_members or message.left_chat_member is not None:
            # The bot's own arrival and departure come as my_chat_member; only people count here.
            joined = tuple(
                str(user.id) for user in message.new_chat_members if user.id != self._bot_id
            )
            gone = message.left_chat_member
            left = (str(gone.id),) if gone is not None and gone.id != self._bot_id else ()
            if not joined and not left:
                return None
            return MembersChanged(joined=joined, left=left, **base)
        if message.migrate_to_chat_id is not None or message.migrate_from_chat_id is not None:
            return self._moved(message, base)
        kind = f"message.{_message_content(message)}"
        log.info(
            "telegram: update %s is a %s; acknowledged, not acted on", common["event_id"], kind
        )
        return Unsupported(kind=kind, **{**base, "user": None})

    @staticmethod
    def _moved(message: Message, base: dict[str, Any]) -> ChatMoved:
        """A group upgraded to a supergroup, told in the old group and again in the new one.

        Both notices name the same move (the new id as the chat), so they are handled in order
        with what follows in the supergroup, and the second finds nothing left to move.
        """
        if message.migrate_to_chat_id is not None:
            old, new = message.chat.id, message.migrate_to_chat_id
        else:
            assert message.migrate_from_chat_id is not None
            old, new = message.migrate_from_chat_id, message.chat.id
        chat = ChatRef(
            channel=Channel.TELEGRAM,
            external_id=str(new),
            kind=ChatKind.GROUP,
            title=message.chat.title,
        )
        return ChatMoved(moved_from=str(old), **{**base, "chat": chat})

    def _my_membership(self, change: ChatMemberUpdated, common: dict[str, Any]) -> Event | None:
        """The bot's own membership: blocked or unblocked in a private chat, added or removed."""
        base: dict[str, Any] = {
            "user": _user_ref(change.from_user),
            "chat": _chat_ref(change.chat),
            "occurred_at": change.date,
            **common,
        }
        was, now = _is_present(change.old_chat_member), _is_present(change.new_chat_member)
        if change.chat.type == ChatType.PRIVATE:
            if change.new_chat_member.status == ChatMemberStatus.BANNED:
                return Unfollowed(**base)
            # In a private chat this update means blocked or unblocked only (first contact is
            # a /start). Unblocking from the chat sends /start next, which does the greeting.
            return Unblocked(**base) if now and not was else None
        if change.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
            return Unsupported(kind=f"my_chat_member.{change.chat.type}", **{**base, "user": None})
        if now and not was:
            return JoinedGroup(**base)
        if was and not now:
            return LeftGroup(**base)
        return None  # promoted, restricted and the like: nothing to say

    def _membership(self, change: ChatMemberUpdated, common: dict[str, Any]) -> Event | None:
        """Someone else joined or left a group the bot administers."""
        was, now = _is_present(change.old_chat_member), _is_present(change.new_chat_member)
        if was == now:
            return None
        who = (str(change.new_chat_member.user.id),)
        return MembersChanged(
            user=_user_ref(change.from_user),
            chat=_chat_ref(change.chat),
            occurred_at=change.date,
            joined=who if now else (),
            left=() if now else who,
            **common,
        )

    @staticmethod
    def _unsupported(
        update: Update, kind: str, received_at: datetime, common: dict[str, Any]
    ) -> Unsupported:
        """Reactions and kinds we did not ask for: acknowledged and logged, never answered.

        No sender is attached, so someone who merely reacted is not stored as a chat account.
        """
        chat = update.effective_chat
        user = update.effective_user
        if chat is not None:
            chat_ref = _chat_ref(chat)
        else:
            where = str(user.id) if user is not None else f"update:{common['event_id']}"
            chat_ref = ChatRef(channel=Channel.TELEGRAM, external_id=where)
        log.info(
            "telegram: update %s is a %s; acknowledged, not acted on", common["event_id"], kind
        )
        return Unsupported(user=None, chat=chat_ref, occurred_at=received_at, kind=kind, **common)


def _message_content(message: Message) -> str:
    """What kind of message this is, for the log: `contact`, `poll`, `dice`… or `service`."""
    attachment = message.effective_attachment
    if attachment is None:
        return "service"  # pinned messages, title changes, group migrations and the like
    return type(attachment).__name__.casefold()
