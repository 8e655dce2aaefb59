"""Engine and session factory; SQLite gets the pragmas that make it a fair embedded database."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """WAL lets readers run beside the one writer; foreign keys are off in SQLite by default."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url`, configured for its dialect."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return create_async_engine(url, **kwargs)


class Turns:
    """One writer at a time, in order of asking, those asking `first` before the others.

    The webhooks' stores ask first: a webhook waits for its commit, and the platform for the
    webhook, while batches of events and settled messages can wait a moment longer.
    """

    def __init__(self) -> None:
        self._busy = False
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (
            deque(),
            deque(),
        )

    @contextlib.asynccontextmanager
    async def turn(self, *, first: bool = False) -> AsyncIterator[None]:
        """Hold the turn for the block."""
        if self._busy:
            handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting[0 if first else 1].append(handed)
            try:
                await handed
            except asyncio.CancelledError:
                if handed.done() and not handed.cancelled():
                    self._pass_on()  # it was handed over just as we gave up: pass it on
                raise
        self._busy = True
        try:
            yield
        finally:
            self._pass_on()

    def _pass_on(self) -> None:
        for queue in self._waiting:
            while queue:
                handed = queue.popleft()
                if not handed.done():
                    handed.set_result(None)  # the turn goes straight to them: still busy
                    return
        self._busy = False


# Each engine's turns, with the event loop they belong to (an engine may outlive a loop).
_TURNS: weakref.WeakKeyDictionary[AsyncEngine, tuple[asyncio.AbstractEventLoop, Turns]] = (
    weakref.WeakKeyDictionary()
)


def write_turn(
    bind: AsyncEngine | async_sessionmaker[AsyncSession], *, first: bool = False
) -> AbstractAsyncContextManager[object]:
    """A turn to write, for this process's busiest writers (the inbox's store and batches, the
    outbox's settling), given the engine or a session factory bound to it; `first` for a
    writer someone is waiting on (a webhook's store).

    SQLite has one writer at a time, and a writer that finds the lock taken sleeps in SQLite's
    busy handler in steps of up to 100 ms. Queued here instead, the next writer starts the
    moment the last one commits. PostgreSQL locks rows, not the database: no turns.
    """
    engine = bind if isinstance(bind, AsyncEngine) else bind.kw["bind"]
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    loop = asyncio.get_running_loop()
    held = _TURNS.get(engine)
    if held is None or held[0] is not loop:
        held = _TURNS[engine] = (loop, Turns())
    return held[1].turn(first=first)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (handlers read them afterwards)."""
    return async_sessionmaker(engine, expire_on_commit=False)
