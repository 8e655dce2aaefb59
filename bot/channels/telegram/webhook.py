"""`POST /webhooks/telegram`: check the secret, store the update, answer 200 — nothing more.

Telegram resends an update until it gets a 2xx, so the answer waits for the inbox commit and no
longer. Requests that arrive while a commit is running are stored together in the next one
(group commit): each is still acknowledged only once its row is durable, and a burst costs a
few commits instead of one per update.
"""

from __future__ import annotations

import hmac
import logging

from starlette.requests import Request
from starlette.responses import Response

from bot.channels.telegram.updates import update_time
from bot.core.bodies import BodyTooLarge, MalformedBody, load_json, read_body
from bot.core.channel import Ingest
from bot.core.webhooks import GroupCommit, RefusalLog, StoreUnavailable
from db.enums import Channel
from db.repositories.inbox import InboxItem

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  # a header name, not a secret
MAX_UPDATE_ID = 2**63  # Telegram's ids are 64-bit at most; the key column holds 128 characters


def _refused(status: int) -> Response:
    return Response(status_code=status)


class TelegramWebhook:
    """The route's logic: secret, size, shape, store; parsing waits for the inbox processor."""

    def __init__(self, *, secret: str | None, ingest: Ingest, max_body_bytes: int) -> None:
        self._secret = secret.encode() if secret else None
        self._store = GroupCommit(ingest, Channel.TELEGRAM)
        self._max_body_bytes = max_body_bytes
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
        try:
            update = load_json(await read_body(request, self._max_body_bytes))
        except BodyTooLarge as error:
            self._refusals.warn("size", "telegram webhook: body too large (%s); refused", error)
            return _refused(413)
        except MalformedBody as error:
            self._refusals.warn("json", "telegram webhook: body refused: %s", error)
            return _refused(400)
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if type(update_id) is not int or not -MAX_UPDATE_ID < update_id < MAX_UPDATE_ID:
            self._refusals.warn(
                "shape", "telegram webhook: not an update (no 64-bit integer update_id); refused"
            )
            return _refused(400)
        item = InboxItem(event_key=str(update_id), payload=update, occurred_at=update_time(update))
        try:
            await self._store.store([item])
        except StoreUnavailable:  # logged where the commit failed; Telegram redelivers
            return _refused(503)
        return Response(status_code=200)
