"""Renewing a lease while work goes on, without ever cutting a renewal off halfway.

A renewal is a write transaction. Cancelled while it waits for the database, it can leave its
connection mid-transaction; on SQLite that connection then holds the one write lock, and every
other writer of the process fails with "database is locked" until it restarts. So the renewer
is told to stop, and awaited, never cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable


@contextlib.asynccontextmanager
async def renewed(every: float, renew: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
    """Call `renew` every `every` seconds while the block runs (`renew` handles its own
    failures); a renewal under way when the block ends is finished first."""
    finished = asyncio.Event()

    async def keep() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await finished.wait()
            if finished.is_set():
                return
            await renew()

    keeping = asyncio.create_task(keep(), name="lease-renewal")
    try:
        yield
    finally:
        finished.set()
        await keeping
