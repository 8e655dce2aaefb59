"""Why handling an event failed, and when to try again: the inbox's retry policy.

A failure is *transient* when the same work may well succeed later unchanged: the database was
locked, restarting or unreachable, the network timed out. Those events wait and are tried again
without using up their tries, so the person gets the real answer once the outage ends. Anything
else (a handler bug, a payload nobody can read) is tried a few times and then set aside.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# SQLite's error names for a busy or unavailable file, as opposed to a bad statement.
_SQLITE_TRANSIENT = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_CANTOPEN")
# PostgreSQL SQLSTATE classes and codes that say "not now" rather than "never": connection
# exceptions, insufficient resources, operator intervention (restarts), serialization failures,
# deadlocks and lock timeouts.
_POSTGRES_TRANSIENT_CLASSES = ("08", "53", "57")
_POSTGRES_TRANSIENT_CODES = frozenset({"40001", "40P01", "55P03"})
# How deep to follow `raise … from …` chains: SDKs wrap a socket error two or three times.
_CHAIN_LIMIT = 8


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error` and what caused it, nearest first."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < _CHAIN_LIMIT:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _transient_database_error(error: DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    sqlite_name = getattr(error.orig, "sqlite_errorname", None)
    if isinstance(sqlite_name, str):
        # SQLite reports a bad statement as OperationalError too: only a busy or missing file
        # is worth waiting for.
        return sqlite_name.startswith(_SQLITE_TRANSIENT)
    state = getattr(error.orig, "sqlstate", None)
    if isinstance(state, str):
        return state in _POSTGRES_TRANSIENT_CODES or state.startswith(_POSTGRES_TRANSIENT_CLASSES)
    return isinstance(error, OperationalError | InterfaceError)


def is_transient(error: BaseException) -> bool:
    """Whether trying the same work again later may succeed: the database or network was away."""
    for cause in _chain(error):
        if isinstance(cause, ConnectionError | TimeoutError | socket.gaierror):
            return True
        if isinstance(cause, DBAPIError) and _transient_database_error(cause):
            return True
    return False


def describe(error: BaseException) -> str:
    """The failure as an inbox row and an operator read it: type and message."""
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True, slots=True)
class InboxRetries:
    """How many tries an event gets and how long it waits between them."""

    max_attempts: int = 3
    first_delay: timedelta = timedelta(seconds=1)
    longest_delay: timedelta = timedelta(minutes=2)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th try: doubling from `first_delay`, capped."""
        exponent = min(max(attempts - 1, 0), 16)  # 2**16 s is far past any sensible cap
        doubled: timedelta = self.first_delay * (1 << exponent)
        return min(doubled, self.longest_delay)

    def exhausted(self, failures: int) -> bool:
        """Whether an event that failed `failures` times (counting ones) has no try left."""
        return failures >= self.max_attempts


def being_cancelled() -> bool:
    """Whether the running task has been asked to stop.

    A database driver interrupted by a cancellation may raise its own error instead of
    CancelledError; a loop that logs failures and tries again must check this before it does,
    or it outlives the cancellation and shutting down waits on it forever.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def stop_if_cancelled() -> None:
    """Raise CancelledError if the running task was asked to stop and something took the
    cancellation for a failure (a driver's error, an adapter's caught exception)."""
    if being_cancelled():
        raise asyncio.CancelledError
