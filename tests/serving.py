"""The web app served for tests: in this process, or as `citybot serve` from a clean shell."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.app import App
from bot.core.clock import Clock
from bot.settings import Settings
from bot.web import create_web_app

CITYBOT = Path(sys.executable).parent / "citybot"


@asynccontextmanager
async def web_client(
    settings: Settings, clock: Clock | None = None, *, raise_app_exceptions: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the web app in this process, its App started and closed by the lifespan.

    With `raise_app_exceptions` False an error escaping the app is a 500, as a server answers.
    """
    web = create_web_app(App.create(settings, clock=clock))
    transport = httpx.ASGITransport(app=web, raise_app_exceptions=raise_app_exceptions)
    async with (
        web.router.lifespan_context(web),
        httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as client,
    ):
        yield client


def free_port() -> int:
    """A loopback port nobody listens on (free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the bot's variables, plus `extra`: nothing leaks from the shell."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    return env | extra


def run_process(
    *args: str | Path, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run our own console script (fixed arguments, no shell) and collect its output."""
    return subprocess.run(  # noqa: S603  # our executable and literal arguments
        args, capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=False
    )


@dataclass
class Server:
    """A `citybot serve` process: where it answers, its log, and its exit code once stopped."""

    base_url: str
    log: Path
    returncode: int | None = None


@contextmanager
def citybot_serve(env: dict[str, str], cwd: Path, *, seconds: float) -> Iterator[Server]:
    """`citybot serve` on a free port, healthy within `seconds`; stopped (SIGTERM) on leaving."""
    port = free_port()
    server = Server(f"http://127.0.0.1:{port}", cwd / "serve.log")
    with server.log.open("w") as log:
        process = subprocess.Popen(  # noqa: S603  # our own console script, literal arguments
            [CITYBOT, "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
        )
        try:
            wait_until_healthy(server, process, seconds)
            yield server
        finally:
            process.terminate()
            server.returncode = process.wait(timeout=10)


def wait_until_healthy(server: Server, process: subprocess.Popen[bytes], seconds: float) -> None:
    """Return once `/healthz` answers 200; fail with the server's log if it dies or is late."""
    url = f"{server.base_url}/healthz"
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log = server.log.read_text()
            raise AssertionError(f"citybot serve did not become healthy at {url}:\n{log}")
        time.sleep(0.1)
