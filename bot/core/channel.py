"""The port every platform adapter implements, and what a delivery attempt can come to.

The runtime (inbox processor, outbox worker, web app) talks to LINE and Telegram only through
this protocol, so a new channel is one adapter module and one line in the composition root.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import Clock
from bot.core.events import Event
from bot.core.replies import Reply
from bot.settings import Settings
from db.enums import Channel
from db.repositories.inbox import InboxItem

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

# Stores webhook events durably (one commit) and wakes the processor; returns how many were new.
Ingest = Callable[[Channel, Sequence[InboxItem]], Awaitable[int]]
# Checks, stores and acknowledges one platform request (it answers its own errors).
WebhookEndpoint = Callable[["Request"], Awaitable["Response"]]


class UnreadableEvent(ValueError):
    """A stored payload its adapter cannot turn into an event; the message says why.

    The one error `event_from` raises: no retry reads it better, so the inbox settles the row.
    """


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Whatever a parser trips over in a hostile payload (a wrong type, an absurd number) as
    UnreadableEvent naming `what`, so that no other exception escapes `event_from`."""
    try:
        yield
    except UnreadableEvent:
        raise
    except (
        TypeError,
        ValueError,
        LookupError,
        AttributeError,
        OverflowError,
        OSError,
        RecursionError,
    ) as error:
        raise UnreadableEvent(f"{what}: {type(error).__name__}: {error}") from error


@dataclass(frozen=True, slots=True)
class Wiring:
    """What the composition root hands every platform channel it builds."""

    settings: Settings
    ingest: Ingest
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where a platform posts its events (POST only), and what answers it."""

    path: str
    endpoint: WebhookEndpoint


# The channels whose bots can hand over a file itself; elsewhere (LINE) a file is a link. A
# feature asks this instead of naming platforms.
SENDS_FILES: frozenset[Channel] = frozenset({Channel.TELEGRAM})


class Outcome(StrEnum):
    """What happened to one delivery attempt."""

    SENT = "sent"
    RETRY = "retry"  # a passing failure (5xx, timeout, 429): try again later
    FAILED = "failed"  # the platform refused for good (4xx): keep the reason, do not retry
    BLOCKED = "blocked"  # the person blocked the bot: mark the account, send nothing more
    PAUSED = "paused"  # the channel cannot send at all for now (e.g. LINE's monthly quota)


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of sending one outbox message."""

    outcome: Outcome
    error: str | None = None
    retry_after: float | None = None  # seconds the platform asked us to wait, if it said
    platform_ids: tuple[str, ...] = ()
    # The delivery's context for its next attempt, when this one learnt something a retry must
    # know (LINE's reply token spent, Telegram's steps done); None keeps the stored context.
    context: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One stored outbox message handed to an adapter to send."""

    message_id: int
    recipients: tuple[str, ...]
    replies: tuple[Reply, ...]
    context: Mapping[str, Any] = field(default_factory=dict)  # the adapter's own reply context
    retry_key: str | None = None  # stable across attempts, for platforms that dedupe sends
    attempt: int = 1


class ChannelAdapter(Protocol):
    """A platform: events in from its payloads, replies out through its API."""

    channel: Channel

    @property
    def webhook(self) -> Webhook | None:
        """This channel's webhook, or None for a channel without one (polling, console)."""

    async def start(self) -> None:
        """Start background work such as long polling."""

    async def close(self) -> None:
        """Stop background work and close connections."""

    def event_from(self, payload: Mapping[str, Any]) -> Event | None:
        """The event in one stored inbox payload; None for what needs no answer (e.g. standby).

        Raises UnreadableEvent, and nothing else, for a payload it cannot read.
        """

    def reply_context(self, event: Event) -> dict[str, Any]:
        """What the adapter needs later to answer this event (e.g. LINE's reply token)."""

    async def send(self, delivery: Delivery) -> SendResult:
        """Send one stored message to its recipients and say how it went."""


@runtime_checkable
class EnrichingAdapter(Protocol):
    """An adapter that adds what a webhook did not carry (a LINE profile: name, language)."""

    async def enrich(self, event: Event) -> Event:
        """`event` completed from the platform's API, off the webhook path; as is on failure."""


@runtime_checkable
class ReplyWindow(Protocol):
    """An adapter whose answers are cheap only for a while (LINE's reply token)."""

    @property
    def reply_window(self) -> timedelta:
        """How long after an event its answer goes the cheap way; older ones wait their turn."""


@runtime_checkable
class AcknowledgingAdapter(Protocol):
    """An adapter whose platform waits on some events until answered, even with nothing to say."""

    def needs_acknowledgement(self, event: Event) -> bool:
        """True when `event` must reach `send` without replies (a Telegram button's spinner)."""
