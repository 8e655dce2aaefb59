"""Drive the real dispatcher like a person would: type text, pick choices, read replies."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.dispatcher import Dispatcher
from bot.core.events import ChatRef, ChoiceSelected, Event, TextReceived, UserRef
from bot.core.replies import Cards, Choice, Choices, Document, Link, Reply, Text
from db.enums import Channel, ChatKind


def plain(replies: list[Reply]) -> str:
    """Every word the replies show, for assertions."""
    parts: list[str] = []
    for reply in replies:
        match reply:
            case Text(text=text):
                parts.append(text)
            case Choices(text=text, options=options):
                parts.extend([text, *(o.label for o in options)])
            case Cards(text=text, cards=cards):
                parts.append(text)
                for card in cards:
                    parts.extend([card.title, card.subtitle, card.link or ""])
            case Link(text=text, label=label, url=url):
                parts.extend([text, label, url])
            case Document(title=title, url=url, caption=caption):
                parts.extend([title, caption, url])
    return "\n".join(parts)


@dataclass
class ChatDriver:
    """One chat account talking to the bot."""

    dispatcher: Dispatcher
    user_id: str
    channel: Channel = Channel.CONSOLE
    display_name: str | None = None
    language: str | None = None
    chat_id: str | None = None
    chat_kind: ChatKind = ChatKind.USER
    last: list[Reply] = field(default_factory=list)

    @property
    def user(self) -> UserRef:
        """The sender as the platform would describe them."""
        return UserRef(
            channel=self.channel,
            external_id=self.user_id,
            display_name=self.display_name,
            language=self.language,
        )

    @property
    def chat(self) -> ChatRef:
        """The conversation: the 1:1 chat unless a group id was given."""
        return ChatRef(
            channel=self.channel, external_id=self.chat_id or self.user_id, kind=self.chat_kind
        )

    async def event(self, event: Event) -> list[Reply]:
        """Send any event; remember and return the replies."""
        self.last = await self.dispatcher.handle(event)
        return self.last

    async def send(self, text: str) -> list[Reply]:
        """Type `text`."""
        now = self.dispatcher.services.clock.now()
        return await self.event(
            TextReceived(user=self.user, chat=self.chat, occurred_at=now, text=text)
        )

    def options(self) -> list[Choice]:
        """The options offered by the last replies, in order."""
        return [o for r in self.last if isinstance(r, Choices) for o in r.options]

    async def choose(self, label_or_index: str | int) -> list[Reply]:
        """Pick an option of the last replies by its label (or 1-based position)."""
        options = self.options()
        if isinstance(label_or_index, int):
            option = options[label_or_index - 1]
        else:
            matching = [o for o in options if o.label == label_or_index]
            assert matching, f"no option {label_or_index!r} in {[o.label for o in options]}"
            option = matching[0]
        return await self.press(option.payload)

    async def press(self, payload: str) -> list[Reply]:
        """Send a choice payload directly (as a stale button would)."""
        now = self.dispatcher.services.clock.now()
        return await self.event(
            ChoiceSelected(user=self.user, chat=self.chat, occurred_at=now, payload=payload)
        )

    @property
    def text(self) -> str:
        """The last replies as plain text."""
        return plain(self.last)
