"""`POST /webhooks/line`: verify, store durably, acknowledge — nothing else on this path.

LINE waits at most 2 s and many webhooks arrive at once, so the handler does the least it can:
one HMAC over the raw bytes, one `json.loads`, a few dict look-ups per event, and a commit it
shares with the requests that arrive while the previous commit is being written (group commit).
Handling the events happens later, in the inbox processor.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from bot.channels.line.events import occurred_at
from db.repositories.inbox import InboxItem

log = logging.getLogger(__name__)

PATH = "/webhooks/line"
SIGNATURE_HEADER = "x-line-signature"  # Starlette's headers are case-insensitive
MAX_EVENT_KEY = 128  # the inbox's event_key column


class MalformedWebhook(ValueError):
    """A correctly signed body that is not a LINE webhook; the message says what is wrong."""


def signature(secret: bytes, body: bytes) -> str:
    """LINE's signature of `body`: base64 of HMAC-SHA256 with the channel secret."""
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def signature_matches(secret: bytes, body: bytes, given: str | None) -> bool:
    """Whether `given` signs `body`, compared in constant time."""
    if not given:
        return False
    # Bytes, not str: compare_digest refuses non-ASCII strings, and a forger may send some.
    return hmac.compare_digest(
        signature(secret, body).encode(), given.encode("latin-1", "replace")
    )


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one webhook delivery holds: events to store, and messages taken back."""

    items: list[InboxItem]
    unsent: list[str]


def parse(body: bytes) -> Parsed:
    """The inbox items of a webhook body; MalformedWebhook when it is not LINE's shape.

    Each stored payload is the event object plus the webhook's `destination` (the bot's user
    id), keyed by `webhookEventId` so that redeliveries and LINE's occasional duplicates are
    dropped by the inbox.
    """
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedWebhook(f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise MalformedWebhook("the body is not a JSON object")
    events = document.get("events")
    if not isinstance(events, list):
        raise MalformedWebhook("'events' is missing or not a list")
    destination = document.get("destination")
    items: list[InboxItem] = []
    unsent: list[str] = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise MalformedWebhook(f"events[{index}] is not an object")
        key = event.get("webhookEventId")
        timestamp = event.get("timestamp")
        if not isinstance(key, str) or not 0 < len(key) <= MAX_EVENT_KEY:
            raise MalformedWebhook(f"events[{index}].webhookEventId is missing or invalid")
        if type(timestamp) is not int or not isinstance(event.get("type"), str):
            raise MalformedWebhook(f"events[{index}] lacks an integer timestamp or a type")
        event["destination"] = destination
        items.append(InboxItem(event_key=key, payload=event, occurred_at=occurred_at(timestamp)))
        if event["type"] == "unsend":
            message_id = (event.get("unsend") or {}).get("messageId")
            if isinstance(message_id, str):
                unsent.append(message_id)
    return Parsed(items, unsent)


Store = Callable[[Sequence[InboxItem]], Awaitable[None]]
Redact = Callable[[list[str]], Awaitable[None]]


class LineWebhook:
    """The webhook endpoint, bound to a channel secret and the inbox."""

    def __init__(self, *, secret: bytes, store: Store, redact: Redact) -> None:
        self._secret = secret
        self._store = store
        self._redact = redact

    async def handle(self, request: Request) -> Response:
        """Verify, store, acknowledge: 401 forged, 400 malformed, 200 once stored."""
        body = await request.body()
        if not signature_matches(self._secret, body, request.headers.get(SIGNATURE_HEADER)):
            return Response(status_code=401)
        try:
            parsed = parse(body)
        except MalformedWebhook as error:
            log.warning("line webhook: well-signed but malformed body refused: %s", error)
            return Response(status_code=400)
        try:
            if parsed.items:  # an empty list is LINE's connection check
                await self._store(parsed.items)
            if parsed.unsent:
                await self._redact(parsed.unsent)
        except Exception:  # not stored: 500 makes LINE redeliver, and the inbox dedupes
            log.exception("line webhook: %d events not stored", len(parsed.items))
            return Response(status_code=500)
        return Response(status_code=200)
