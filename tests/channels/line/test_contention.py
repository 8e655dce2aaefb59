"""Issue 11 D2: SQLite busy while 1,000-event bodies arrive at once is 200 or 503, never 500."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from bot.app import App
from bot.core.clock import FrozenClock
from bot.settings import Settings
from bot.web import create_web_app
from tests.channels.line.conftest import LineHarness, line_settings
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import body, sign, user_id

BODIES = 4
EVENTS = 1000
# Short enough that a lock held through the burst outlasts the webhook's retries (about 1 s).
BUSY_TIMEOUT_MS = 50


@pytest.fixture
def sqlite_file(templates: Any, tmp_path: Path) -> Path:
    """A migrated, seeded SQLite database file of this test's own."""
    path = tmp_path / "citybot.db"
    shutil.copyfile(templates.get("sqlite", True), path)
    return path


@pytest.fixture
async def sqlite_line(
    sqlite_file: Path, line_api: FakeLineApi, clock: FrozenClock
) -> AsyncIterator[tuple[LineHarness, Path]]:
    """The bot with LINE on a SQLite file whose connections give up on a lock after 50 ms."""
    path = sqlite_file
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=f"sqlite+aiosqlite:///{path}", **line_settings(line_api)
    )
    app = App.create(settings, clock=clock)

    def impatient(connection: Any, _record: Any) -> None:
        connection.cursor().execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    event.listen(app.engine.sync_engine, "connect", impatient)
    await app.start(loops=False)
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield LineHarness(app=app, api=line_api, client=client, clock=clock), path
    await app.close()


async def _burst(line: LineHarness, raws: list[bytes]) -> list[int]:
    """Post every body at once; their statuses."""
    return list(
        await asyncio.gather(
            *(line.post_raw(raw, {"X-Line-Signature": sign(raw)}) for raw in raws)
        )
    )


async def test_issue11_d2_sqlite_locked_during_big_concurrent_bodies_is_503_then_stored(
    sqlite_line: tuple[LineHarness, Path],
) -> None:
    """Locked past the retries: every body 503 (LINE redelivers), none 500, none lost; locked
    briefly: the retries absorb it and every body is 200; each event is stored once."""
    line, path = sqlite_line
    users = [user_id() for _ in range(10)]
    raws = [
        body(*(line.events.text(users[n % 10], f"ข้อความ {b}-{n}") for n in range(EVENTS)))
        for b in range(BODIES * 2)
    ]
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")  # another writer holds the database through the burst
        assert await _burst(line, raws[:BODIES]) == [503] * BODIES
        locker.execute("ROLLBACK")
        assert await line.inbox_rows() == 0

        assert await _burst(line, raws[:BODIES]) == [200] * BODIES  # the redelivery

        locker.execute("BEGIN IMMEDIATE")
        asyncio.get_running_loop().call_later(0.3, locker.execute, "ROLLBACK")
        assert await _burst(line, raws[BODIES:]) == [200] * BODIES
    finally:
        locker.close()
    assert await line.inbox_rows() == 2 * BODIES * EVENTS
