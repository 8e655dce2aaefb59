"""What a handler gets besides its event: a frozen, typed view of who, where and with what."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.dates import format_date, format_datetime
from bot.core.files import FileFetcher
from bot.core.replies import Reply
from bot.core.state import StateStore
from bot.core.texts import Texts, Translator
from bot.settings import Settings
from db.enums import Language
from db.models import Chat, Identity, Member


@dataclass(frozen=True, kw_only=True)
class Services:
    """Process-wide collaborators, built once by the composition root."""

    settings: Settings
    texts: Texts
    clock: Clock
    files: FileFetcher = field(default_factory=FileFetcher)  # the channels' file sources

    @property
    def zone(self) -> ZoneInfo:
        """The display time zone."""
        return self.settings.timezone


@dataclass(frozen=True, kw_only=True)
class ChatContext:
    """What a handler of an event about a chat itself gets: the chat, and no person.

    LINE tells of the bot joining or leaving a group, and of people coming and going, without
    saying who did it. A handler that needs only the chat takes this type, so it answers such
    events as well as those with a sender (a full `Context` is one), and mypy keeps it from
    reaching for a sender that may not exist; no handler has to check for a missing identity.
    """

    session: AsyncSession
    services: Services
    chat: Chat
    language: Language
    now: datetime

    @property
    def t(self) -> Translator:
        """Texts in the language of the answer."""
        return self.services.texts.bind(self.language)

    def local(self, item: object, field: str) -> str:
        """`item.<field>_th` or `item.<field>_en`, whichever the answer is in."""
        return str(getattr(item, f"{field}_{self.language.value}"))

    def when(self, moment: datetime) -> str:
        """A date and time as the answer shows it."""
        return format_datetime(moment, self.language, self.services.zone)

    def day(self, moment: datetime) -> str:
        """A date as the answer shows it."""
        return format_date(moment, self.language, self.services.zone)


@dataclass(frozen=True, kw_only=True)
class Context(ChatContext):
    """One event's context: one database session, the sender, the chat, their state."""

    identity: Identity
    member: Member | None
    state: StateStore
    args: str = ""
    sender_name: str | None = None  # the name the platform gave with this event, if any
    # Answers `/name args` as if the sender had typed it, their access checked as for any
    # command: how words the bot understood reach the feature they name. Set by the dispatcher.
    run_command: Callable[[str, str], Awaitable[list[Reply]]] | None = None

    @property
    def registered(self) -> Member:
        """The sender, on a route for registered members only (the dispatcher checked that)."""
        if self.member is None:
            raise LookupError("a route for members was reached by a newcomer")
        return self.member

    def in_language(self, language: Language) -> Context:
        """The same context speaking another language (after /lang)."""
        return dataclasses.replace(self, language=language)

    def with_member(self, member: Member | None) -> Context:
        """The same context after registration or erasure."""
        language = member.language if member is not None else self.language
        return dataclasses.replace(self, member=member, language=language)
