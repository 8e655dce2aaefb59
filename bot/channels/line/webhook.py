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
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.core.bodies import BodyTooLarge, MalformedBody, from_epoch, load_json, read_body
from bot.core.webhooks import RefusalLog, StoreUnavailable
from db.repositories.inbox import InboxItem

log = logging.getLogger(__name__)

PATH = "/webhooks/line"
SIGNATURE_HEADER = "x-line-signature"  # Starlette's headers are case-insensitive
MAX_EVENT_KEY = 128  # the inbox's event_key column
MAX_CHAT_KEY = 160  # and its chat_key column
MILLISECOND = timedelta(milliseconds=1)


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

    @property
    def skipped(self) -> list[InboxItem]:
        """The events stored as skipped (malformed), each with its reason."""
        return [item for item in self.items if item.skipped is not None]


def parse(body: bytes) -> Parsed:
    """The inbox items of a webhook body; MalformedBody when the body is not LINE's shape.

    Each stored payload is the event object plus the webhook's `destination` (the bot's user
    id), keyed by `webhookEventId` so that redeliveries and LINE's occasional duplicates are
    dropped by the inbox. An event LINE could not have sent does not cost the others theirs:
    it is stored as skipped, with its reason, under its own key (or one made from its content).
    """
    document = load_json(body)
    if not isinstance(document, dict):
        raise MalformedBody("the body is not a JSON object")
    events = document.get("events")
    if not isinstance(events, list):
        raise MalformedBody("'events' is missing or not a list")
    destination = document.get("destination")
    if destination is not None and not isinstance(destination, str):
        raise MalformedBody("'destination' is not a string")
    items: list[InboxItem] = []
    unsent: list[str] = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            items.append(_skipped({"event": event}, f"events[{index}] is not an object"))
            continue
        event["destination"] = destination
        item = _item(event, index)
        items.append(item)
        unsend = event.get("unsend")
        if item.skipped is None and event["type"] == "unsend" and isinstance(unsend, dict):
            message_id = unsend.get("messageId")
            if isinstance(message_id, str):
                unsent.append(message_id)
    return Parsed(items, unsent)


def _item(event: dict[str, Any], index: int) -> InboxItem:
    """One event as stored: pending when it has a key, a type and a time; else skipped."""
    key = event.get("webhookEventId")
    if not isinstance(key, str) or not 0 < len(key) <= MAX_EVENT_KEY:
        return _skipped(event, f"events[{index}].webhookEventId is missing or invalid")
    if not isinstance(event.get("type"), str):
        return _skipped(event, f"events[{index}].type is missing or not a string", key)
    at = from_epoch(event.get("timestamp"), MILLISECOND)
    if at is None:
        return _skipped(event, f"events[{index}].timestamp is not an integer in range", key)
    return InboxItem(event_key=key, payload=event, occurred_at=at, chat_key=_chat_key(event))


def _chat_key(event: dict[str, Any]) -> str | None:
    """The chat an event belongs to (its group, room or user), if its source names one.

    Only for ordering the backlog (the parser checks the source properly later): LINE's
    backlog is answered fresh-first, and an earlier event of the same chat goes along.
    """
    source = event.get("source")
    if not isinstance(source, dict):
        return None
    for field in ("groupId", "roomId", "userId"):
        value = source.get(field)
        if isinstance(value, str) and 0 < len(value) <= MAX_CHAT_KEY:
            return value
    return None


def _skipped(payload: dict[str, Any], reason: str, key: str | None = None) -> InboxItem:
    """An event stored only to say it was malformed; keyed by its content if it has no key."""
    if key is None:
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        key = "malformed:" + hashlib.sha256(canonical).hexdigest()
    return InboxItem(event_key=key, payload=payload, skipped=reason)


Store = Callable[[Sequence[InboxItem]], Awaitable[None]]
Redact = Callable[[list[str]], Awaitable[None]]


class LineWebhook:
    """The webhook endpoint, bound to a channel secret, a body size limit and the inbox."""

    def __init__(
        self, *, secret: bytes, store: Store, redact: Redact, max_body_bytes: int
    ) -> None:
        self._secret = secret
        self._store = store
        self._redact = redact
        self._max_body_bytes = max_body_bytes
        self._refusals = RefusalLog()

    async def handle(self, request: Request) -> Response:
        """Size, signature, shape, store: 413 too large, 401 forged, 400 malformed, 503 not
        stored, 200 once stored."""
        try:
            body = await read_body(request, self._max_body_bytes)
        except BodyTooLarge as error:
            self._refusals.warn("size", "line webhook: body too large (%s); refused", error)
            return Response(status_code=413)
        if not signature_matches(self._secret, body, request.headers.get(SIGNATURE_HEADER)):
            return Response(status_code=401)
        try:
            parsed = parse(body)
        except MalformedBody as error:
            self._refusals.warn(
                "malformed", "line webhook: well-signed but malformed body refused: %s", error
            )
            return Response(status_code=400)
        if skipped := parsed.skipped:
            log.warning(
                "line webhook: %d of %d events stored as skipped; first %s: %s",
                len(skipped),
                len(parsed.items),
                skipped[0].event_key,
                skipped[0].skipped,
            )
        try:
            if parsed.items:  # an empty list is LINE's connection check
                await self._store(parsed.items)
            if parsed.unsent:
                await self._redact(parsed.unsent)
        except StoreUnavailable:  # logged where the commit failed
            return Response(status_code=503)
        except Exception:  # not redacted: 503 makes LINE redeliver, and the inbox dedupes
            log.exception("line webhook: %d events not settled", len(parsed.items))
            return Response(status_code=503)
        return Response(status_code=200)
