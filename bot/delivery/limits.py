"""Platform rate limits, shared by every outbox worker task of a process.

Each limit is a GCRA bucket (virtual scheduling): a send reserves the next free slot and sleeps
until it comes, so concurrent tasks queue fairly without a lock, bursts up to `burst` pass at once,
and a 429's `retry_after` pauses the whole channel for exactly that long.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from db.enums import Channel

Monotonic = Callable[[], float]
LINE_MESSAGES_PER_REQUEST = 5


class Bucket:
    """`rate` sends per second on average, `burst` at once, pausable."""

    def __init__(self, rate: float, burst: int = 1, clock: Monotonic = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs a positive rate and a burst of at least 1")
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._tat = 0.0  # theoretical arrival time of the next send
        self._paused_until = 0.0

    def reserve(self, weight: int = 1) -> float:
        """Take `weight` slots now; the seconds to wait before using them."""
        now = self._clock()
        tat = max(self._tat, now)
        allowed_at = max(tat - self._tolerance, self._paused_until, now)
        self._tat = max(tat, allowed_at) + weight * self._interval
        return allowed_at - now

    def pause(self, seconds: float) -> None:
        """Nobody sends through this bucket for `seconds` (the platform said so)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def paused_for(self) -> float:
        """Seconds until a pause ends (0 when not paused)."""
        return max(self._paused_until - self._clock(), 0.0)


@dataclass(frozen=True, slots=True)
class RateSettings:
    """The configurable limits (defaults a little under the platforms' published ones)."""

    telegram_per_second: float = 25.0
    telegram_chat_per_second: float = 1.0
    telegram_group_per_minute: float = 20.0
    line_multicast_per_second: float = 200.0
    line_push_per_second: float = 2000.0


class DeliveryLimits:
    """Every limit a send must pass, found from its channel and recipients."""

    def __init__(
        self,
        settings: RateSettings | None = None,
        clock: Monotonic = time.monotonic,
        max_chats: int = 50_000,
    ) -> None:
        self._settings = settings or RateSettings()
        self._clock = clock
        self._max_chats = max_chats
        s = self._settings
        self._channel = {
            Channel.TELEGRAM: Bucket(s.telegram_per_second, burst=5, clock=clock),
            Channel.LINE: Bucket(s.line_push_per_second, burst=20, clock=clock),
        }
        self._line_multicast = Bucket(s.line_multicast_per_second, burst=5, clock=clock)
        self._chats: OrderedDict[tuple[Channel, str], Bucket] = OrderedDict()

    def _chat_bucket(self, channel: Channel, chat_id: str) -> Bucket:
        key = (channel, chat_id)
        bucket = self._chats.get(key)
        if bucket is None:
            group = chat_id.startswith("-")  # Telegram group and channel ids are negative
            rate = (
                self._settings.telegram_group_per_minute / 60.0
                if group
                else self._settings.telegram_chat_per_second
            )
            # A private chat tolerates a short burst (a reply of a few messages); groups do not.
            bucket = Bucket(rate, burst=1 if group else 3, clock=self._clock)
            self._chats[key] = bucket
            if len(self._chats) > self._max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(key)
        return bucket

    def buckets(self, channel: Channel, recipients: Sequence[str]) -> list[Bucket]:
        """The buckets one send to `recipients` draws from."""
        if channel is Channel.TELEGRAM:
            return [self._channel[channel], *(self._chat_bucket(channel, r) for r in recipients)]
        if channel is Channel.LINE:
            return [self._line_multicast if len(recipients) > 1 else self._channel[channel]]
        return []

    async def acquire(self, channel: Channel, recipients: Sequence[str], weight: int = 1) -> None:
        """Wait until a send of `weight` messages to `recipients` is within every limit.

        LINE counts requests, and one request carries up to five messages.
        """
        if channel is Channel.LINE:
            weight = -(-weight // LINE_MESSAGES_PER_REQUEST)
        while True:
            waits = [bucket.reserve(weight) for bucket in self.buckets(channel, recipients)]
            wait = max(waits, default=0.0)
            if wait > 0:
                await asyncio.sleep(wait)
            paused = max((b.paused_for() for b in self.buckets(channel, recipients)), default=0.0)
            if paused <= 0:
                return
            await asyncio.sleep(paused)  # a 429 arrived while we waited: wait it out, then retry

    def pause(self, channel: Channel, seconds: float) -> None:
        """The platform answered 429 with `retry_after`: hold the whole channel that long."""
        bucket = self._channel.get(channel)
        if bucket is not None:
            bucket.pause(seconds)
        if channel is Channel.LINE:
            self._line_multicast.pause(seconds)
