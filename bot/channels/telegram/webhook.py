"""`POST /webhooks/telegram`: check the secret, store the update, answer 200 — nothing more.

Telegram resends an update until it gets a 2xx, so the answer waits for the inbox commit and no
longer. Requests that arrive while a commit is running are stored together in the next one
(group commit): each is still acknowledged only once its row is durable, and a burst costs a
few commits instead of one per update.
"""

from __future__ import annotations

import hmac
import json
import logging
import time

from starlette.requests import Request
from starlette.responses import Response

from bot.channels.telegram.updates import update_time
from bot.core.channel import Ingest
from bot.core.webhooks import GroupCommit
from db.enums import Channel
from db.repositories.inbox import InboxItem

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  # a header name, not a secret
REFUSAL_LOG_INTERVAL = 60.0


def _refused(status: int) -> Response:
    return Response(status_code=status)


class RefusalLog:
    """Logs refused requests, at most once a minute per reason, counting the ones it held back.

    Someone posting forged or broken requests in a loop must neither flood the log nor slow the
    webhook down with log writes; the first of a burst is always logged.
    """

    def __init__(self, interval: float = REFUSAL_LOG_INTERVAL) -> None:
        self._interval = interval
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warn(self, reason: str, message: str, *args: object) -> None:
        """Log `message` unless `reason` was logged within the interval (then just count it)."""
        now = time.monotonic()
        last = self._last.get(reason)
        if last is not None and now - last < self._interval:
            self._held[reason] = self._held.get(reason, 0) + 1
            return
        held = self._held.pop(reason, 0)
        self._last[reason] = now
        suffix = f" ({held} more like it since the last report)" if held else ""
        log.warning(message + suffix, *args)


class TelegramWebhook:
    """The route's logic: secret, shape, store; parsing waits for the inbox processor."""

    def __init__(self, *, secret: str | None, ingest: Ingest) -> None:
        self._secret = secret.encode() if secret else None
        self._store = GroupCommit(ingest, Channel.TELEGRAM)
        self._refusals = RefusalLog()

    async def close(self) -> None:
        """Let the last commit finish."""
        await self._store.close()

    async def handle(self, request: Request) -> Response:
        """Answer one webhook request from Telegram (or from someone pretending to be it)."""
        given = request.headers.get(SECRET_HEADER)
        if self._secret is None:
            self._refusals.warn(
                "unset", "telegram webhook: called but TELEGRAM_WEBHOOK_SECRET is unset; refused"
            )
            return _refused(403)
        if given is None or not hmac.compare_digest(given.encode(), self._secret):
            self._refusals.warn(
                "secret",
                "telegram webhook: %s secret token from %s; refused",
                "missing" if given is None else "wrong",
                request.client.host if request.client else "unknown",
            )
            return _refused(403)
        body = await request.body()
        try:
            update = json.loads(body)
        except ValueError as error:
            self._refusals.warn(
                "json", "telegram webhook: body is not JSON (%d bytes): %s", len(body), error
            )
            return _refused(400)
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            self._refusals.warn(
                "shape", "telegram webhook: not an update (no integer update_id); refused"
            )
            return _refused(400)
        item = InboxItem(event_key=str(update_id), payload=update, occurred_at=update_time(update))
        try:
            await self._store.store([item])
        except Exception:
            log.exception(
                "telegram webhook: update %d could not be stored; answering 500", update_id
            )
            return _refused(500)
        return Response(status_code=200)
