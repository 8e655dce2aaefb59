"""When to try a failed send again: exponential backoff with jitter, or what the platform said."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff for passing failures; a message that keeps failing is given up as dead."""

    first_delay: float = 2.0
    max_delay: float = 600.0
    max_attempts: int = 8
    max_throttled_attempts: int = 100  # attempts when the platform only said "not so fast"
    channel_pause: float = 3600.0  # how long a paused channel (e.g. LINE quota) waits

    def delay(self, attempt: int, retry_after: float | None = None) -> timedelta:
        """Wait before attempt `attempt + 1`: exactly `retry_after` when given, else backoff.

        Full jitter spreads a burst of failures (a platform outage) so the retries do not all
        arrive at once when it recovers.
        """
        if retry_after is not None:
            return timedelta(seconds=max(retry_after, 0.0))
        ceiling = min(self.max_delay, self.first_delay * 2 ** max(attempt - 1, 0))
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311  # jitter, not a secret

    def exhausted(self, attempts: int, *, throttled: bool = False) -> bool:
        """Whether `attempts` tries are all a message gets.

        A 429 with retry_after is flow control, not a fault of the message: in a large broadcast
        one message can be turned back several times without anything being wrong, so throttled
        retries get a far larger budget (still finite, should a platform never relent).
        """
        return attempts >= (self.max_throttled_attempts if throttled else self.max_attempts)
