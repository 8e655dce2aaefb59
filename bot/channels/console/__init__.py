"""The console channel: chat with the bot in a terminal, one message per line (pipes work too).

Choices are numbered; typing a number picks one, so scripts can walk any flow. Every line walks
the production path (inbox → dispatcher → outbox → `send`, see bot.core.answering). The console
stores our events as they are, so the tests' chats use it too, as accounts of any channel.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from bot.core import events
from bot.core.answering import AnsweringChannel
from bot.core.channel import Delivery
from bot.core.events import ChatRef, ChoiceSelected, Event, Origin, TextReceived, UserRef
from bot.core.replies import Button, Cards, Choices, Document, Link, Reply, Text
from db.enums import Channel

_EVENT_TYPES: dict[str, type[Event]] = {
    name: kind
    for name, kind in vars(events).items()
    if isinstance(kind, type) and issubclass(kind, Event) and kind is not Event
}


@functools.cache
def _codec(name: str) -> TypeAdapter[Event]:
    """How events of one type are stored as JSON and read back (built once, on first use)."""
    return TypeAdapter(_EVENT_TYPES[name])


@dataclass(frozen=True, slots=True)
class ConsoleAnswer:
    """The answer to one event: the replies, and how the terminal shows them."""

    replies: tuple[Reply, ...]
    text: str


class ConsoleChannel(AnsweringChannel[ConsoleAnswer]):
    """Terminal conversations; remembers each chat's last choices so numbers pick them."""

    channel = Channel.CONSOLE

    @functools.cached_property
    def _numbered(self) -> dict[str, list[str]]:
        """Per chat: the payloads of the options it was shown last."""
        return {}

    # --- in ------------------------------------------------------------------------------------

    def event_for(self, line: str, *, user_id: str, display_name: str | None = None) -> Event:
        """A typed line as an event: a number picks a choice shown last, anything else is text."""
        user = UserRef(channel=self.channel, external_id=user_id, display_name=display_name)
        chat = ChatRef(channel=self.channel, external_id=user_id)
        now = self.services.clock.now()
        numbered = self._numbered.get(user_id, [])
        stripped = line.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(numbered):
            payload = numbered[int(stripped) - 1]
            return ChoiceSelected(user=user, chat=chat, occurred_at=now, payload=payload)
        return TextReceived(user=user, chat=chat, occurred_at=now, text=line)

    async def say(self, line: str, *, user_id: str, display_name: str | None = None) -> str:
        """Send one typed line; the answer as the terminal shows it."""
        event = self.event_for(line, user_id=user_id, display_name=display_name)
        return (await self.answer(event)).text

    async def answer(self, event: Event) -> ConsoleAnswer:
        """Store any event (of any channel's account) and wait for the answer to it."""
        key = self.new_key()
        stamped = dataclasses.replace(event, origin=Origin(reply_token=key))
        payload = {
            "type": type(event).__name__,
            "event": _codec(type(event).__name__).dump_python(stamped, mode="json"),
        }
        return await self.ask(key, payload, event.occurred_at)

    def event_from(self, payload: Mapping[str, Any]) -> Event:
        """The event `answer` stored."""
        name = str(payload.get("type"))
        if name not in _EVENT_TYPES:
            raise ValueError(f"unknown event type {name!r}")
        return _codec(name).validate_python(payload["event"])

    # --- out -----------------------------------------------------------------------------------

    def render(self, delivery: Delivery) -> ConsoleAnswer:
        """The replies as terminal text; choices and payload buttons get numbers."""
        chat = delivery.recipients[0] if delivery.recipients else ""
        numbered = self._numbered[chat] = []  # the chat's options are numbered afresh
        blocks = [_render_one(reply, numbered) for reply in delivery.replies]
        return ConsoleAnswer(delivery.replies, "\n\n".join(block for block in blocks if block))


def _number(numbered: list[str], label: str, payload: str) -> str:
    numbered.append(payload)
    return f"  {len(numbered)}. {label}"


def _button(button: Button, numbered: list[str]) -> str:
    if button.payload is not None:
        return _number(numbered, button.label, button.payload)
    return f"  [{button.label}] {button.url}"


def _render_one(reply: Reply, numbered: list[str]) -> str:
    match reply:
        case Text(text=text):
            return text
        case Choices(text=text, options=options):
            lines = [text, *(_number(numbered, o.label, o.payload) for o in options)]
            return "\n".join(lines)
        case Cards(text=text, cards=cards):
            lines = [text]
            for index, card in enumerate(cards, start=1):
                lines.append(f"[{index}] {card.title}")
                if card.subtitle:
                    lines.append(f"    {card.subtitle}")
                if card.link and not any(b.url == card.link for b in card.buttons):
                    lines.append(f"    {card.link}")
                lines.extend("  " + _button(b, numbered) for b in card.buttons)
            return "\n".join(lines)
        case Link(text=text, label=label, url=url):
            return f"{text}\n  [{label}] {url}"
        case Document(title=title, url=url, caption=caption):
            return "\n".join(part for part in (f"📄 {title}", caption, f"  {url}") if part)
    raise TypeError(f"the console cannot render {type(reply).__name__}")
