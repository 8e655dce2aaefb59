"""The web app's probes in-process, and `citybot serve` as a real server process."""

from __future__ import annotations

import shutil
import signal
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.pool import QueuePool

from bot.app import App
from bot.core.clock import FrozenClock
from bot.settings import load_settings
from bot.web import create_web_app
from bot.web.port import port_taken
from db.enums import Channel
from db.repositories.inbox import InboxItem, commit_events
from db.session import create_engine
from tests.conftest import POSTGRES_URL
from tests.serving import CITYBOT, citybot_serve, clean_env, free_port, run_process, web_client

pytestmark = pytest.mark.usefixtures("isolated_settings")


async def test_healthz_answers_ok(database_url: str) -> None:
    """`GET /healthz` says the process is up."""
    async with web_client(load_settings(database_url=database_url)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_the_database_answers(database_url: str) -> None:
    """`GET /readyz` is 200 on a reachable database."""
    async with web_client(load_settings(database_url=database_url)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "backlog": {"pending": 0, "oldest_seconds": 0.0}}


async def test_readyz_tells_the_backlog_and_how_long_its_oldest_has_waited(
    database_url: str,
) -> None:
    """Events acknowledged and not handled yet (no channel runs the inbox here) are counted,
    with the age of the oldest, so an operator sees a bot falling behind."""
    clock = FrozenClock(datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    engine = create_engine(database_url)
    try:
        for key, at in (("old", clock.now()), ("new", clock.now() + timedelta(seconds=20))):
            await commit_events(
                engine=engine, channel=Channel.CONSOLE, events=[InboxItem(key, {})], now=at
            )
    finally:
        await engine.dispose()
    clock.advance(timedelta(seconds=30))
    settings = load_settings(database_url=database_url, citybot_simulator=False)
    async with web_client(settings, clock) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["backlog"] == {"pending": 2, "oldest_seconds": 30.0}


async def test_readyz_is_503_when_the_sqlite_directory_is_missing(tmp_path: Path) -> None:
    """`GET /readyz` is 503 with a reason when the SQLite file's directory does not exist."""
    # No channel, so no loops: only the probe tries the missing file (a failed aiosqlite connect
    # leaves a thread behind that outlives the test's event loop).
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/gone/citybot.db", citybot_simulator=False
    )
    async with web_client(settings) as client:
        ready = await client.get("/readyz")
        healthy = await client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert "database" in ready.json()["reason"]
    assert healthy.status_code == 200  # the process itself is fine


@pytest.mark.postgres
async def test_readyz_is_503_when_the_postgres_database_is_missing(postgres_template: str) -> None:
    """`GET /readyz` is 503 when the PostgreSQL database named in the URL does not exist."""
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/citybot_absent_{uuid.uuid4().hex[:8]}"
    async with web_client(load_settings(database_url=url)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert "database" in response.json()["reason"]


async def test_lifespan_closes_the_app(database_url: str) -> None:
    """Leaving the lifespan disposes the engine: no pooled connection stays open."""
    # No channel at all, so no inbox and outbox loops: the probe's is the only connection.
    app = App.create(load_settings(database_url=database_url, citybot_simulator=False))
    web = create_web_app(app)
    transport = httpx.ASGITransport(app=web)
    async with web.router.lifespan_context(web):
        async with httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as c:
            assert (await c.get("/readyz")).status_code == 200
        pool = app.engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedin() == 1  # the probe's connection, kept for the next request
    pool = app.engine.pool  # dispose() swaps in a fresh, empty pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedin() == 0


def test_citybot_serve_answers_health_probes(tmp_path: Path, sqlite_template: Path) -> None:
    """`citybot serve` starts a real server on a migrated SQLite file and answers the probes."""
    database = tmp_path / "citybot.db"
    shutil.copyfile(sqlite_template, database)
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    with citybot_serve(env, tmp_path, seconds=10) as server:
        health = httpx.get(f"{server.base_url}/healthz", timeout=5)
        ready = httpx.get(f"{server.base_url}/readyz", timeout=5)
    output = server.log.read_text()
    assert health.status_code == 200, output
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200, output
    # uvicorn shuts down gracefully, then re-raises SIGTERM so supervisors see why it stopped.
    assert server.returncode in {0, -signal.SIGTERM}, output
    assert "Application shutdown complete" in output
    assert f"serving on {server.base_url}" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("overrides", "status", "location"),
    [
        ({"citybot_simulator": True}, 307, "/simulator"),
        ({"citybot_simulator": False}, 404, None),
        ({"citybot_simulator": True, "citybot_env": "production"}, 404, None),
    ],
)
async def test_issue10_root_opens_the_simulator_only_in_development(
    database_url: str, overrides: dict[str, object], status: int, location: str | None
) -> None:
    """`GET /` leads to `/simulator` where the simulator runs; elsewhere it stays a 404."""
    settings = load_settings(database_url=database_url, **overrides)
    async with web_client(settings) as client:
        response = await client.get("/")
    assert response.status_code == status
    assert response.headers.get("location") == location


async def test_issue10_fonts_are_served_with_their_media_type(database_url: str) -> None:
    """The Thai web font comes from the app as `font/woff2`; only font files are served."""
    async with web_client(load_settings(database_url=database_url)) as client:
        font = await client.get("/fonts/sarabun-thai-400-normal.woff2")
        licence = await client.get("/fonts/OFL.txt")
        missing = await client.get("/fonts/..%2Fapp.py")
    assert font.status_code == 200
    assert font.headers["content-type"] == "font/woff2"
    assert font.headers["x-content-type-options"] == "nosniff"
    assert font.content.startswith(b"wOF2")
    assert licence.status_code == 404
    assert missing.status_code == 404


def test_issue10_serve_on_a_taken_port_is_one_line_error(tmp_path: Path) -> None:
    """`citybot serve` on a port another process holds says so in one line and exits 2."""
    port = free_port()
    with socket.create_server(("127.0.0.1", port)) as holder:
        assert holder.getsockname()[1] == port
        done = run_process(CITYBOT, "serve", "--port", str(port), env=clean_env(), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"error: port {port} on 127.0.0.1 is taken; pick another with make run PORT=… "
        "(citybot serve --port …)"
    ]
    assert port_taken("127.0.0.1", port) is None  # free again once its holder closed
