"""What every fake platform server shares: listening on loopback, and the platform's rate limits.

The limits are token buckets keyed by what the platform counts (the whole bot, one chat, one
endpoint), so a fake answers 429 exactly when a client sends faster than the platform allows —
the bot's own limiter is tested against an independent model of the platform, not against itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from aiohttp import web


class Fake(Protocol):
    """What a fake platform server offers to whoever runs it."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


F = TypeVar("F", bound=Fake)


class LoopbackServer:
    """An aiohttp application listening on 127.0.0.1 on a free port."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, app: web.Application) -> None:
        """Listen."""
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening; safe to call twice."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@dataclass(frozen=True)
class Limit:
    """At most `burst` at once, refilled at `per_second`."""

    burst: float
    per_second: float


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """Token buckets by key; a request passes only if every bucket it draws from has a token."""

    clock: Callable[[], float] = time.monotonic
    refused: Counter[str] = field(default_factory=Counter)  # 429s answered, by limit name
    _buckets: dict[Hashable, _Bucket] = field(default_factory=dict)

    def admit(self, *draws: tuple[str, Hashable, Limit]) -> float:
        """Take one token from each (name, key, limit); 0 if admitted, else seconds to wait.

        Nothing is taken from any bucket when one of them is empty: a refused request costs
        nothing, as on the platforms.
        """
        now = self.clock()
        buckets = []
        for name, key, limit in draws:
            bucket = self._buckets.setdefault((name, key), _Bucket(limit.burst, now))
            refill = (now - bucket.updated) * limit.per_second
            bucket.tokens = min(limit.burst, bucket.tokens + refill)
            bucket.updated = now
            if bucket.tokens < 1:
                self.refused[name] += 1
                return (1 - bucket.tokens) / limit.per_second
            buckets.append(bucket)
        for bucket in buckets:
            bucket.tokens -= 1
        return 0.0

    @staticmethod
    def whole_seconds(wait: float) -> int:
        """A wait as platforms state it: whole seconds, at least one."""
        return max(1, math.ceil(wait))


@contextlib.contextmanager
def serving_in_thread(*fakes: F) -> Iterator[tuple[F, ...]]:
    """Run fakes on their own event loop in a thread, for code that runs its own loop (the CLI).

    Read what they recorded once the block has ended, or accept a moment's inconsistency.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-platforms", daemon=True)
    thread.start()
    try:
        for fake in fakes:
            asyncio.run_coroutine_threadsafe(fake.start(), loop).result(timeout=5)
        yield fakes
    finally:
        for fake in fakes:
            asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
