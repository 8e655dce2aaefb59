"""Start-up time and idle memory of `citybot serve` and `citybot worker` with both channels on.

Each process is started as an operator starts it (`python -m bot serve|worker`), configured for
LINE and Telegram against the loopback fakes of the tests, on a migrated and seeded SQLite
database. Start-up is from spawning the process to the first 200 from `/readyz` (the database
answers and every part is up); memory is the resident set a few seconds later, idle.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.broadcast import memory_kib, platform_env, seeded
from bench.databases import empty_database
from bench.report import Table, seconds
from tests.fakes.line_api import FakeLineApi
from tests.fakes.loopback import serving_in_thread
from tests.fakes.telegram_api import FakeTelegramApi

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
SETTLE_SECONDS = 3.0  # idle time before memory is read
STARTUP_TARGET = 1.5
MEMORY_TARGET_MB = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/readyz", timeout=1
        ) as answer:  # loopback
            return int(answer.status) == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _once(command: str, env: dict[str, str]) -> tuple[float | None, int]:
    """(seconds to ready, or None for the worker, which serves no HTTP; idle RSS in KiB)."""
    port = _free_port()
    args = (
        ["serve", "--host", "127.0.0.1", "--port", str(port)] if command == "serve" else [command]
    )
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603  # our own interpreter and fixed arguments
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
    )
    try:
        ready: float | None = None
        if command == "serve":
            while not _ready(port):
                if process.poll() is not None or time.perf_counter() - started > 30:
                    raise RuntimeError(
                        f"citybot serve did not become ready ({process.returncode})"
                    )
                time.sleep(0.005)
            ready = time.perf_counter() - started
        time.sleep(SETTLE_SECONDS)
        if process.poll() is not None:
            raise RuntimeError(f"citybot {command} stopped with {process.returncode}")
        rss, _ = memory_kib(process.pid)
        return ready, rss
    finally:
        process.terminate()
        process.wait(timeout=30)


def run() -> Table:
    """Median of five starts of each command."""
    rows: list[list[str]] = []
    with empty_database("sqlite") as url:
        seeded(url)
        line_api, telegram_api = FakeLineApi(), FakeTelegramApi()
        with serving_in_thread(line_api, telegram_api):
            env = platform_env(
                url, line_api, telegram_api, PUBLIC_BASE_URL="https://citybot.example.org"
            )
            for command in ("serve", "worker"):
                runs = [_once(command, env) for _ in range(REPEATS)]
                ready = [r for r, _ in runs if r is not None]
                memory_mb = statistics.median(rss for _, rss in runs) / 1024
                rows.append(
                    [
                        f"citybot {command}",
                        seconds(statistics.median(ready)) if ready else "—",
                        f"{memory_mb:.0f} MiB",
                        "yes"
                        if memory_mb < MEMORY_TARGET_MB and all(r < STARTUP_TARGET for r in ready)
                        else "no",
                    ]
                )
    return Table(
        title="Start-up and idle memory, both channels on",
        method=(
            "`python -m bot serve` (uvicorn, webhooks for LINE and Telegram, inbox and outbox "
            "loops, scheduler) and `python -m bot worker` on a migrated, seeded SQLite "
            "database, configured for LINE and Telegram against loopback fakes. Start-up: spawn "
            f"to the first 200 from /readyz; memory: VmRSS after {SETTLE_SECONDS:g} s idle. "
            f"Median of {REPEATS} starts. Targets: start-up < {STARTUP_TARGET} s, idle memory "
            f"< {MEMORY_TARGET_MB} MB."
        ),
        columns=["process", "start-up to ready", "idle memory (RSS)", "within target"],
        rows=rows,
    )
