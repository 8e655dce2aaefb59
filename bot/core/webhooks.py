"""The group commit every webhook stores through: one inbox commit for many concurrent requests.

A platform waits on each webhook and resends it until it gets a 2xx, so a request is answered
once its events are durable and no sooner; requests that arrive while a commit is being written
go together in the next one, so a burst costs a few commits instead of one per request. A commit
the database refuses (SQLite busy, a dropped PostgreSQL connection) is tried again briefly; if it
still fails, each request it carried raises StoreUnavailable and answers 503, so the platform
redelivers later.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from bot.core.channel import Ingest
from db.enums import Channel
from db.repositories.inbox import InboxItem

log = logging.getLogger(__name__)

# Pauses before trying a refused commit again: about a second in all, well within the platforms'
# webhook timeouts (LINE waits 2 s for an answer).
RETRY_DELAYS = (0.2, 0.6)
REFUSAL_LOG_INTERVAL = 60.0
# Bounds how long the largest commit (and so the wait of every request in it) can take.
MAX_BATCH = 500
# One request's items, and what tells it they are committed.
_Waiting = tuple[Sequence[InboxItem], "asyncio.Future[None]"]


class StoreUnavailable(Exception):
    """The inbox did not commit a request's events even after retrying: answer 503."""


class GroupCommit:
    """Stores the items of concurrent requests in one commit instead of one commit each.

    The first request starts a writer; requests arriving while it commits wait and go together
    in its next commit. Alone, a request is committed at once (one turn of the event loop, no
    timer); under load, a commit carries every request that arrived during the previous one
    (up to MAX_BATCH items), so the database's commit rate no longer bounds the webhook rate.
    Each request still returns only after its own items are committed, and a failed commit
    fails every request it carried.
    """

    def __init__(
        self,
        ingest: Ingest,
        channel: Channel,
        max_batch: int = MAX_BATCH,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._ingest = ingest
        self._channel = channel
        self._max_batch = max_batch
        self._retry_delays = tuple(retry_delays)
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, items: Sequence[InboxItem]) -> None:
        """Return once `items` are committed (with whatever else was waiting).

        Raises StoreUnavailable when the database refused the commit every time it was tried.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((items, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(
                self._write(), name=f"{self._channel.value}-webhook-commit"
            )
        await done

    async def _write(self) -> None:
        while self._waiting:
            # One turn of the event loop lets requests already read reach the batch.
            await asyncio.sleep(0)
            await self._commit(self._next_batch())

    def _next_batch(self) -> list[_Waiting]:
        """The oldest waiting requests, up to MAX_BATCH items (at least one request)."""
        taken, count = 0, 0
        while taken < len(self._waiting) and (
            not taken or count + len(self._waiting[taken][0]) <= self._max_batch
        ):
            count += len(self._waiting[taken][0])
            taken += 1
        batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return batch

    async def _commit(self, batch: Sequence[_Waiting]) -> None:
        items = [item for items, _ in batch for item in items]
        for delay in (*self._retry_delays, None):
            try:
                await self._ingest(self._channel, items)
                break
            except Exception as error:  # the database's own errors differ by driver
                if delay is None:
                    log.warning(
                        "%s webhook: %d events not stored after %d tries: %s: %s",
                        self._channel.value,
                        len(items),
                        len(self._retry_delays) + 1,
                        type(error).__name__,
                        str(error).partition("\n")[0][:200],  # a detail may quote a row
                    )
                    self._settle(batch, StoreUnavailable(str(error)))
                    return
                await asyncio.sleep(delay)
        self._settle(batch, None)

    @staticmethod
    def _settle(batch: Sequence[_Waiting], error: StoreUnavailable | None) -> None:
        """Wake every request of `batch`: committed, or not with `error`."""
        for _, done in batch:
            if done.done():  # a request whose client went away was cancelled: nobody waits
                continue
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

    async def close(self) -> None:
        """Let the last commit finish."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)


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
