"""Telegram updates built as the Bot API documents them (https://core.telegram.org/bots/api#update).

Each builder returns the JSON object Telegram would post to the webhook or return from
getUpdates: only documented fields, with their documented types.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_api import BOT_ID

DATE = 1_795_489_200  # 2026-11-24 03:00 UTC, the tests' frozen clock


@dataclass(frozen=True)
class TgUser:
    """A Telegram person (the `User` object)."""

    id: int
    first_name: str
    last_name: str | None = None
    language_code: str | None = "th"

    def as_json(self) -> dict[str, Any]:
        """The Bot API `User` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def private_chat(self) -> dict[str, Any]:
        """The Bot API `Chat` of this person's 1:1 chat with the bot."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        return chat


BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Smart City Connect"}


def group_chat(chat_id: int = -1001234567890, title: str = "ทีมสมาร์ทซิตี้ขอนแก่น") -> dict[str, Any]:
    """A supergroup `Chat` (Telegram upgrades groups with admins to supergroups)."""
    return {"id": chat_id, "type": "supergroup", "title": title}


def basic_group_chat(chat_id: int = -4012345678, title: str = "ทีมสมาร์ทซิตี้ขอนแก่น") -> dict[str, Any]:
    """A basic group `Chat`, as a team's chat starts before Telegram upgrades it."""
    return {"id": chat_id, "type": "group", "title": title}


@dataclass
class Updates:
    """Makes updates with increasing `update_id` and `message_id`, as one bot would see them."""

    first_update_id: int = 700_000_000
    _update_ids: itertools.count[int] = field(init=False)
    _message_ids: itertools.count[int] = field(init=False)

    def __post_init__(self) -> None:
        self._update_ids = itertools.count(self.first_update_id)
        self._message_ids = itertools.count(1)

    def _update(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), kind: body}

    def _message(
        self, user: TgUser, chat: dict[str, Any] | None, content: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "from": user.as_json(),
            "chat": chat or user.private_chat(),
            "date": DATE,
            **content,
        }

    def text(self, user: TgUser, text: str, chat: dict[str, Any] | None = None) -> dict[str, Any]:
        """A text message; a leading `/command` carries its `bot_command` entity."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0].encode("utf-16-le")) // 2
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._update("message", self._message(user, chat, content))

    def edited_text(
        self, user: TgUser, text: str, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """An edited text message (it keeps its date and gains an `edit_date`)."""
        message = self._message(user, chat, {"text": text, "edit_date": DATE + 30})
        return self._update("edited_message", message)

    def photo(self, user: TgUser, chat: dict[str, Any] | None = None) -> dict[str, Any]:
        """A photo: several `PhotoSize`s, the largest last."""
        sizes = [
            {"file_id": f"photo-{w}", "file_unique_id": f"up-{w}", "width": w, "height": w}
            for w in (90, 320, 1280)
        ]
        return self._update("message", self._message(user, chat, {"photo": sizes}))

    def document(self, user: TgUser, file_name: str, mime_type: str) -> dict[str, Any]:
        """A file sent as a document."""
        document = {
            "file_id": f"doc-{file_name}",
            "file_unique_id": f"ud-{file_name}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": 2048,
        }
        return self._update("message", self._message(user, None, {"document": document}))

    def location(self, user: TgUser, latitude: float, longitude: float) -> dict[str, Any]:
        """A location pin."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._update("message", self._message(user, None, {"location": location}))

    def sticker(self, user: TgUser) -> dict[str, Any]:
        """A sticker."""
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "us-1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._update("message", self._message(user, None, {"sticker": sticker}))

    def contact(self, user: TgUser) -> dict[str, Any]:
        """A shared contact (a kind the bot does not act on)."""
        contact = {"phone_number": "+66800000000", "first_name": "Somying"}
        return self._update("message", self._message(user, None, {"contact": contact}))

    def migrated_to(
        self, user: TgUser, group: dict[str, Any], supergroup_id: int
    ) -> dict[str, Any]:
        """The service message in a basic group that `user` upgraded: its new supergroup id."""
        content = {"migrate_to_chat_id": supergroup_id}
        return self._update("message", self._message(user, group, content))

    def migrated_from(
        self, user: TgUser, supergroup: dict[str, Any], group_id: int
    ) -> dict[str, Any]:
        """The service message opening the supergroup that the basic group `group_id` became."""
        content = {"migrate_from_chat_id": group_id}
        return self._update("message", self._message(user, supergroup, content))

    def button_press(
        self, user: TgUser, sent: dict[str, Any], callback_data: str
    ) -> dict[str, Any]:
        """A `callback_query` for a button on `sent`, the Message the bot sent (as returned)."""
        query = {
            "id": f"cbq-{next(self._update_ids)}",
            "from": user.as_json(),
            "message": sent,
            "chat_instance": f"ci-{user.id}",
            "data": callback_data,
        }
        return self._update("callback_query", query)

    def my_chat_member(
        self,
        user: TgUser,
        old: str,
        new: str,
        chat: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The bot's own membership changed: blocked, unblocked, added to or left a group."""
        return self._update(
            "my_chat_member",
            {
                "chat": chat or user.private_chat(),
                "from": user.as_json(),
                "date": DATE,
                "old_chat_member": _member(BOT_USER, old),
                "new_chat_member": _member(BOT_USER, new),
            },
        )

    def chat_member(
        self, actor: TgUser, member: TgUser, old: str, new: str, chat: dict[str, Any]
    ) -> dict[str, Any]:
        """Someone's membership of a group changed (sent to admin bots that ask for it)."""
        return self._update(
            "chat_member",
            {
                "chat": chat,
                "from": actor.as_json(),
                "date": DATE,
                "old_chat_member": _member(member.as_json(), old),
                "new_chat_member": _member(member.as_json(), new),
            },
        )

    def reaction(self, user: TgUser, message_id: int) -> dict[str, Any]:
        """A 👍 on one of the bot's messages."""
        return self._update(
            "message_reaction",
            {
                "chat": user.private_chat(),
                "message_id": message_id,
                "user": user.as_json(),
                "date": DATE,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            },
        )

    def inline_query(self, user: TgUser) -> dict[str, Any]:
        """An inline query (the bot never asks for these)."""
        query = {"id": "iq-1", "from": user.as_json(), "query": "smart", "offset": ""}
        return self._update("inline_query", query)


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A `ChatMember` of one of the simple statuses: member, left or kicked."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0  # banned for ever
    return member
