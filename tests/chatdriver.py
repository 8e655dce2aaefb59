"""Drive the bot like a person would: type text, pick choices, read replies.

Every event walks the production path through the console channel: stored in the inbox, handled
by the inbox processor and the dispatcher, the replies queued in the outbox and sent by the
outbox worker through the console's `send`. The console stores our events as they are, so a
chat may be an account of any channel (its answers still come back through the console).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.console import ConsoleChannel
from bot.core.channel import ChannelAdapter
from bot.core.dispatcher import Dispatcher
from bot.core.events import ChatRef, ChoiceSelected, Event, TextReceived, UserRef
from bot.core.failures import InboxRetries
from bot.core.inbox import InboxProcessor
from bot.core.replies import Cards, Choice, Choices, Document, Link, Reply, Text
from bot.delivery.worker import OutboxWorker
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


def console_path(
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    retries: InboxRetries | None = None,
) -> ConsoleChannel:
    """The console channel behind an inbox processor and outbox worker of its own, driven by hand.

    What `citybot console` builds, without the platforms: only console rows are taken, so
    another App on the same database (a test's web app) keeps its own.
    """
    adapters: dict[Channel, ChannelAdapter] = {}
    clock = dispatcher.services.clock
    inbox = InboxProcessor(
        engine=engine,
        sessions=sessions,
        dispatcher=dispatcher,
        adapters=adapters,
        clock=clock,
        retries=retries,
    )
    outbox = OutboxWorker(sessions=sessions, adapters=adapters, clock=clock)

    async def drive(channel: Channel) -> int:
        handled = await inbox.process_available([channel])
        return handled + await outbox.deliver_due([channel])

    console = ConsoleChannel(ingest=inbox.ingest, drive=drive, services=dispatcher.services)
    adapters[console.channel] = console
    return console


@dataclass
class ChatDriver:
    """One chat account talking to the bot."""

    dispatcher: Dispatcher
    user_id: str
    console: ConsoleChannel = field(kw_only=True)
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
        self.last = list((await self.console.answer(event)).replies)
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
