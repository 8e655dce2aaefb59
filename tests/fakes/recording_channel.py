"""A channel adapter that keeps what it is asked to send, with scripted send outcomes.

It implements the real `ChannelAdapter` port (no mocking of our code): payloads are plain dicts
`{"user": "u1", "text": "hi"}` and every send is recorded in order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.core.channel import Delivery, Outcome, SendResult
from bot.core.events import ChatRef, Event, TextReceived, UserRef
from db.enums import Channel


class RecordingChannel:
    """The console channel as a platform: events from dicts, sends recorded."""

    channel = Channel.CONSOLE

    def __init__(self) -> None:
        self.sent: list[Delivery] = []
        self.outcomes: deque[SendResult] = deque()

    webhook = None  # events come straight from the tests

    async def start(self) -> None:
        """Nothing to start."""

    async def close(self) -> None:
        """Nothing to close."""

    def event_from(self, payload: Mapping[str, Any]) -> Event | None:
        """`{"user", "text"}` → TextReceived; `{"standby": true}` → None; else an error."""
        if payload.get("standby"):
            return None
        user = UserRef(channel=self.channel, external_id=str(payload["user"]))
        chat = ChatRef(channel=self.channel, external_id=user.external_id)
        return TextReceived(
            user=user, chat=chat, occurred_at=datetime.now(UTC), text=str(payload["text"])
        )

    def reply_context(self, event: Event) -> dict[str, Any]:
        """The text answered, so a test can see which reply belongs to which event."""
        return {"answering": getattr(event, "text", None)}

    async def send(self, delivery: Delivery) -> SendResult:
        """Record the delivery; answer with the next scripted outcome, else SENT."""
        self.sent.append(delivery)
        if self.outcomes:
            return self.outcomes.popleft()
        return SendResult(Outcome.SENT, platform_ids=(f"m{len(self.sent)}",))
