"""The group commit every webhook stores through: one inbox commit for many concurrent requests.

A platform waits on each webhook and resends it until it gets a 2xx, so a request is answered
once its events are durable and no sooner; requests that arrive while a commit is being written
go together in the next one, so a burst costs a few commits instead of one per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.core.channel import Ingest
from db.enums import Channel
from db.repositories.inbox import InboxItem

# Bounds how long the largest commit (and so the wait of every request in it) can take.
MAX_BATCH = 500
# One request's items, and what tells it they are committed.
_Waiting = tuple[Sequence[InboxItem], "asyncio.Future[None]"]


class GroupCommit:
    """Stores the items of concurrent requests in one commit instead of one commit each.

    The first request starts a writer; requests arriving while it commits wait and go together
    in its next commit. Alone, a request is committed at once (one turn of the event loop, no
    timer); under load, a commit carries every request that arrived during the previous one
    (up to MAX_BATCH items), so the database's commit rate no longer bounds the webhook rate.
    Each request still returns only after its own items are committed, and a failed commit
    fails every request it carried.
    """

    def __init__(self, ingest: Ingest, channel: Channel, max_batch: int = MAX_BATCH) -> None:
        self._ingest = ingest
        self._channel = channel
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, items: Sequence[InboxItem]) -> None:
        """Return once `items` are committed (with whatever else was waiting); raise if not."""
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
        try:
            await self._ingest(self._channel, [item for items, _ in batch for item in items])
        except Exception as error:  # every waiting request answers 500; the platform resends
            for _, done in batch:
                if not done.done():
                    done.set_exception(error)
            return
        for _, done in batch:
            if not done.done():  # a request whose client went away was cancelled: nobody waits
                done.set_result(None)

    async def close(self) -> None:
        """Let the last commit finish."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
