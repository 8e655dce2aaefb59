"""Throwaway databases for benchmarks: a SQLite file, or a PostgreSQL database created and dropped.

Like the tests, benchmarks talk only to a server on this machine; any other host is refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "CITYBOT_BENCH_POSTGRES_URL",
    os.environ.get(
        "CITYBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    ),
)
KINDS = ("sqlite", "postgres")


def _admin_dsn() -> str:
    url = make_url(POSTGRES_ADMIN_URL)
    host = url.host or "localhost"
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise RuntimeError(f"benchmarks run against this machine only, not {host!r}")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(*statements: str) -> list[object]:
    import asyncpg

    connection = await asyncpg.connect(_admin_dsn(), timeout=5)
    try:
        return [await connection.fetchval(statement) for statement in statements]
    finally:
        await connection.close()


def measurable_kinds(notes: list[str]) -> Iterator[str]:
    """The KINDS this machine can measure; each one it cannot adds a note saying why."""
    for kind in KINDS:
        problem = postgres_problem() if kind == "postgres" else None
        if problem is None:
            yield kind
        else:
            notes.append(f"PostgreSQL not measured: {problem}")


def postgres_problem() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        asyncio.run(_admin("SELECT 1"))
    except Exception as error:  # any failure means "not available", said in the report
        return f"{type(error).__name__}: {error}"
    return None


def postgres_version() -> str:
    """The server's version string, e.g. `15.20`."""
    (version,) = asyncio.run(_admin("SHOW server_version"))
    return str(version).split()[0]


@contextmanager
def empty_database(kind: str) -> Iterator[str]:
    """The async URL of a new, empty database of `kind`, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="citybot-bench-") as directory:
            yield f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        return
    name = f"citybot_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_settings(*names: str) -> dict[str, str]:
    """Server settings that change what a benchmark measures (fsync, synchronous_commit…)."""
    values = asyncio.run(_admin(*(f"SHOW {name}" for name in names)))
    return {name: str(value) for name, value in zip(names, values, strict=True)}


def inbox_count(url: str) -> int:
    """How many events the inbox of the database at `url` holds."""
    from sqlalchemy import func, select

    from db.models import InboundEvent
    from db.session import create_engine, create_session_factory

    async def count() -> int:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                stored = await session.scalar(select(func.count()).select_from(InboundEvent))
                return int(stored or 0)
        finally:
            await engine.dispose()

    return asyncio.run(count())
