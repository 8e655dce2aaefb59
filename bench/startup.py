"""Start-up time and idle memory of `citybot serve` and `citybot worker` with both channels on.

Each process is started as an operator starts it (`python -m bot serve|worker`), configured for
LINE and Telegram against the loopback fakes of the tests, on a migrated and seeded SQLite
database. Start-up is from spawning the process to the first 200 from `/readyz` (the database
answers and every part is up); memory is the resident set a few seconds later, idle. The LINE SDK
is loaded on the first LINE API call, not at start-up, so `serve` is also measured after one
LINE message has been answered: what the process holds once it has worked.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.broadcast import memory_kib, platform_env, seeded
from bench.databases import empty_database
from bench.report import Table, seconds
from bot.core.clock import SystemClock
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import LineEvents, body, sign, user_id
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


def _answered(port: int, line_api: FakeLineApi) -> bool:
    """Post a signed LINE text message; whether the fake LINE API got the reply in time."""
    replies = len(line_api.calls("reply"))
    raw = body(LineEvents(SystemClock()).text(user_id(), "hello"))
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/line",
        data=raw,
        headers={"Content-Type": "application/json", "X-Line-Signature": sign(raw)},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310  # loopback
        if int(answer.status) != 200:
            return False
    deadline = time.perf_counter() + 30
    while len(line_api.calls("reply")) == replies:
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.05)
    return True


@dataclass(frozen=True)
class _Start:
    """One start of a process: seconds to ready (serve only) and resident memory in KiB."""

    ready: float | None
    idle_kib: int
    worked_kib: int | None  # after answering one LINE message (serve only)


def _once(command: str, env: dict[str, str], line_api: FakeLineApi) -> _Start:
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
        idle, _ = memory_kib(process.pid)
        worked: int | None = None
        if command == "serve":
            if not _answered(port, line_api):
                raise RuntimeError("citybot serve did not answer a LINE message")
            time.sleep(SETTLE_SECONDS)
            worked, _ = memory_kib(process.pid)
        return _Start(ready, idle, worked)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _spread(values: list[float]) -> str:
    """`median (min–max)` of start-up times."""
    return f"{seconds(statistics.median(values))} ({seconds(min(values))}–{seconds(max(values))})"


def _mib(kib: list[int]) -> float:
    return statistics.median(kib) / 1024


def run() -> Table:
    """Five starts of each command: the median, and the fastest and slowest start."""
    rows: list[list[str]] = []
    with empty_database("sqlite") as url:
        seeded(url)
        line_api, telegram_api = FakeLineApi(), FakeTelegramApi()
        with serving_in_thread(line_api, telegram_api):
            env = platform_env(
                url, line_api, telegram_api, PUBLIC_BASE_URL="https://citybot.example.org"
            )
            for command in ("serve", "worker"):
                runs = [_once(command, env, line_api) for _ in range(REPEATS)]
                ready = [r.ready for r in runs if r.ready is not None]
                idle_mb = _mib([r.idle_kib for r in runs])
                worked = [r.worked_kib for r in runs if r.worked_kib is not None]
                within = idle_mb < MEMORY_TARGET_MB and (
                    not ready or statistics.median(ready) < STARTUP_TARGET
                )
                rows.append(
                    [
                        f"citybot {command}",
                        _spread(ready) if ready else "—",
                        f"{idle_mb:.0f} MiB",
                        f"{_mib(worked):.0f} MiB" if worked else "—",
                        "yes" if within else "no",
                    ]
                )
    return Table(
        title="Start-up and idle memory, both channels on",
        method=(
            "`python -m bot serve` (uvicorn, webhooks for LINE and Telegram, inbox and outbox "
            "loops, scheduler) and `python -m bot worker` on a migrated, seeded SQLite "
            "database, configured for LINE and Telegram against loopback fakes. Start-up: spawn "
            f"to the first 200 from /readyz, median (fastest–slowest) of {REPEATS} starts; idle "
            f"memory: VmRSS after {SETTLE_SECONDS:g} s idle, median. The LINE SDK loads on the "
            "first LINE API call, so `serve` then answers one LINE text message from a new "
            f"user (a profile look-up and a reply) and its VmRSS is read again {SETTLE_SECONDS:g}"
            f" s later. Targets (on the medians): start-up < {STARTUP_TARGET} s, idle memory "
            f"< {MEMORY_TARGET_MB} MB."
        ),
        columns=[
            "process",
            "start-up to ready",
            "idle memory (RSS)",
            "after one LINE reply",
            "within target",
        ],
        rows=rows,
        notes=(
            "`after one LINE reply` includes the plain-Thai lexicons and their dictionary "
            "(about 75 MB): the first plain text loads them, before its batch is handled "
            "(`Router.warms`), whoever sent it; until 2026-12-03 a stranger's text did not, "
            "and this column read 153 MiB.",
            "The first search of materials also loads the Thai tokenizer and its dictionary "
            "(about 75 MB, in a worker thread), not measured here.",
        ),
    )
