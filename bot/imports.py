"""Heavy imports: made with the garbage collector paused, and loaded on first use, off the loop.

Importing the platform SDKs, SQLAlchemy and Starlette creates a few hundred thousand objects, and
none of them is garbage; the collector would still walk them again and again as they pile up,
which costs a quarter or more of the start-up time. Pausing it for the imports changes nothing
else: it runs as usual once they are done.

What only some messages need (the LINE SDK to send, the Thai dictionary to search) is not loaded
at start-up at all: `OnFirstUse` makes it the first time it is asked for, in a worker thread when
asked from the event loop, so webhooks are still acknowledged while it loads.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (as it was before, after it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class OnFirstUse(Generic[T]):
    """A heavy module or table made once, when first needed; `load` makes it off the loop."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()  # two threads asking at once make it once
        self._made: list[T] = []  # empty until made (T itself may be None)

    @property
    def loaded(self) -> bool:
        """Whether it has been made in this process."""
        return bool(self._made)

    def get(self) -> T:
        """The thing, made here and now (blocking) the first time."""
        if not self._made:
            with self._lock:
                if not self._made:
                    with collector_paused():
                        made = self._make()
                    # It lives as long as the process, as what the web app froze at start-up
                    # does: the collector's full passes need not walk it ever again.
                    gc.freeze()
                    self._made.append(made)
        return self._made[0]

    async def load(self) -> T:
        """The thing; the first time, made in a worker thread so the event loop keeps serving."""
        if self._made:
            return self._made[0]
        return await asyncio.to_thread(self.get)
