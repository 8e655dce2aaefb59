"""Channels whose caller waits for the answer in this process: the console and the simulator.

They are the house's text backend, and their events take the production path: stored in the
inbox under a fresh key, handled by the inbox processor and the dispatcher, the replies queued
in the outbox and sent by the outbox worker through the adapter's `send`, which renders them and
hands them to the caller waiting on that key. When the background loops run (`citybot serve`)
they do the work and the caller only waits; otherwise (the console, tests) the caller drives the
inbox and the outbox itself, one round at a time, until its answer is there.
"""

from __future__ import annotations

import asyncio
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

from bot.core.channel import Delivery, Ingest, Outcome, SendResult, Webhook
from bot.core.context import Services
from bot.core.events import Event
from db.enums import Channel
from db.repositories.inbox import InboxItem

# One round of inbox and outbox work on a channel; how much it did (0 when the background loops
# do the work, and the caller has only to wait).
Drive = Callable[[Channel], Awaitable[int]]

Rendered = TypeVar("Rendered")

ANSWER_TIMEOUT_SECONDS = 60.0  # a first message may load the Thai word lists
IDLE_WAIT_SECONDS = 0.05  # between looks when someone else does the work


class NoAnswer(Exception):
    """The event was stored, but no answer came back in time; the log says why."""


class AnsweringChannel(ABC, Generic[Rendered]):
    """A channel adapter whose every event is answered to a caller waiting in this process.

    Subclasses say how a stored payload becomes an event and how replies are rendered for the
    caller; storing, waiting and handing over the rendered answer are the same for all.
    """

    channel: Channel

    def __init__(
        self,
        *,
        ingest: Ingest,
        drive: Drive,
        services: Services,
        timeout: float = ANSWER_TIMEOUT_SECONDS,
    ) -> None:
        self._ingest = ingest
        self._drive = drive
        self.services = services
        self._timeout = timeout
        self._waiting: dict[str, asyncio.Future[Rendered]] = {}

    # --- the port ---------------------------------------------------------------------------

    @property
    def webhook(self) -> Webhook | None:
        """None: events come from the caller in this process, not from a platform."""
        return None

    async def start(self) -> None:
        """Nothing runs in the background: callers bring their events."""

    async def close(self) -> None:
        """Nothing to close."""

    @abstractmethod
    def event_from(self, payload: Mapping[str, Any]) -> Event | None:
        """The event in one stored payload (its origin's reply token is the waiting key)."""

    def reply_context(self, event: Event) -> dict[str, Any]:
        """The key the caller waits on."""
        return {"reply_token": event.origin.reply_token}

    def needs_acknowledgement(self, event: Event) -> bool:  # noqa: ARG002  # the port's signature
        """Always: the caller waits for an answer, even one with nothing to say."""
        return True

    async def send(self, delivery: Delivery) -> SendResult:
        """Render the replies for the caller waiting on them."""
        waiting = self._waiting.get(str(delivery.context.get("reply_token")))
        if waiting is None or waiting.done():
            return SendResult(Outcome.FAILED, error="nobody waits for this answer any more")
        try:
            waiting.set_result(self.render(delivery))
        except Exception as error:  # a reply this channel cannot draw is a bug: the caller hears
            waiting.set_exception(error)
            return SendResult(Outcome.FAILED, error=f"unrenderable: {error}")
        return SendResult(Outcome.SENT)

    # --- for subclasses ---------------------------------------------------------------------

    @abstractmethod
    def render(self, delivery: Delivery) -> Rendered:
        """The replies of `delivery` as the caller shows them."""

    @staticmethod
    def new_key() -> str:
        """A fresh inbox key, which is also the reply token the answer comes back under."""
        return uuid.uuid4().hex

    async def ask(self, key: str, payload: dict[str, Any], occurred_at: datetime) -> Rendered:
        """Store one event under `key` and wait for its rendered answer (NoAnswer if none)."""
        waiting: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        self._waiting[key] = waiting
        try:
            item = InboxItem(event_key=key, payload=payload, occurred_at=occurred_at)
            await self._ingest(self.channel, [item])
            async with asyncio.timeout(self._timeout):
                while not waiting.done():
                    if not await self._drive(self.channel):
                        await asyncio.wait([waiting], timeout=IDLE_WAIT_SECONDS)
        except TimeoutError:
            raise NoAnswer(f"no answer within {self._timeout:g} s") from None
        finally:
            del self._waiting[key]
        return waiting.result()
