"""The web app's probes in-process, and `citybot serve` as a real server process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.pool import QueuePool

from bot.app import App
from bot.settings import Settings, load_settings
from bot.web import create_web_app
from tests.conftest import POSTGRES_URL

BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No `.env` and no bot variables from the developer's shell leak into a test."""
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


@asynccontextmanager
async def _client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the web app on `database_url`, its App started and closed by the lifespan."""
    web = create_web_app(App.create(load_settings(database_url=database_url)))
    async with (
        web.router.lifespan_context(web),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url="http://citybot.test"
        ) as client,
    ):
        yield client


async def test_healthz_answers_ok(database_url: str) -> None:
    """`GET /healthz` says the process is up."""
    async with _client(database_url) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_the_database_answers(database_url: str) -> None:
    """`GET /readyz` is 200 on a reachable database."""
    async with _client(database_url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_503_when_the_sqlite_directory_is_missing(tmp_path: Path) -> None:
    """`GET /readyz` is 503 with a reason when the SQLite file's directory does not exist."""
    async with _client(f"sqlite+aiosqlite:///{tmp_path}/gone/citybot.db") as client:
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
    async with _client(url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert "database" in response.json()["reason"]


async def test_lifespan_closes_the_app(database_url: str) -> None:
    """Leaving the lifespan disposes the engine: no pooled connection stays open."""
    app = App.create(load_settings(database_url=database_url))
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_citybot_serve_answers_health_probes(tmp_path: Path, sqlite_template: Path) -> None:
    """`citybot serve` starts a real server on a migrated SQLite file and answers the probes."""
    database = tmp_path / "citybot.db"
    shutil.copyfile(sqlite_template, database)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603  # our own console script, literal arguments
            [BIN / "citybot", "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
        try:
            health = _poll(f"http://127.0.0.1:{port}/healthz", server, seconds=10)
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        finally:
            server.terminate()
            returncode = server.wait(timeout=10)
    output = log_path.read_text()
    assert health.status_code == 200, output
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200, output
    # uvicorn shuts down gracefully, then re-raises SIGTERM so supervisors see why it stopped.
    assert returncode in {0, -signal.SIGTERM}, output
    assert "Application shutdown complete" in output
    assert f"serving on http://127.0.0.1:{port}" in output
    assert "Traceback" not in output


def _poll(url: str, server: subprocess.Popen[bytes], *, seconds: float) -> httpx.Response:
    """GET `url` until it answers or `seconds` pass; fail early if the server died."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
