"""Engine and session factory; SQLite gets the pragmas that make it a fair embedded database."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
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


# Each engine's turns, with the event loop they belong to (an engine may outlive a loop).
_TURNS: weakref.WeakKeyDictionary[AsyncEngine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def write_turn(
    bind: AsyncEngine | async_sessionmaker[AsyncSession],
) -> AbstractAsyncContextManager[object]:
    """A turn to write, for this process's busiest writers (the inbox's store and batches, the
    outbox's settling), given the engine or a session factory bound to it.

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
        held = _TURNS[engine] = (loop, asyncio.Lock())
    return held[1]


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (handlers read them afterwards)."""
    return async_sessionmaker(engine, expire_on_commit=False)
