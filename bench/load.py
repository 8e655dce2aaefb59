"""A small HTTP load generator for the webhook benchmarks, and the server process it aims at.

The web app runs under uvicorn in a subprocess pinned to one core; the load comes from this
process (on another core when there is one) over raw keep-alive HTTP/1.1 connections, which
cost far less per request than an HTTP client library, so the server is what gets measured.

Two shapes of load:
- closed loop: each connection sends its next request as soon as the last one is answered
  (the most the server can take, at that concurrency);
- open loop: requests are due at a fixed rate whether or not earlier ones were answered, and
  latency counts from when a request was due, so a stalled server cannot hide its queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 30.0


@dataclass
class LoadResult:
    """What one load run saw: answers by status, latencies and the time it took."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    elapsed: float = 0.0

    @property
    def answered(self) -> int:
        """Requests that got a response."""
        return sum(self.statuses.values())

    @property
    def rate(self) -> float:
        """Answered requests per second."""
        return self.answered / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        """The latency under which `fraction` of the answers came (nearest rank), in seconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(math.ceil(fraction * len(ordered)) - 1, 0)
        return ordered[rank]


def post_request(path: str, body: bytes, headers: Mapping[str, str]) -> bytes:
    """A complete HTTP/1.1 POST with a JSON body, ready to write to a keep-alive connection."""
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Connection:
    """One keep-alive connection: write a request, read the status and the body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> int:
        self._writer.write(request)
        status_line = await self._reader.readline()
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self._reader.readexactly(length)
        return status

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()


async def closed_loop(
    host: str, port: int, requests: Sequence[bytes], connections: int
) -> LoadResult:
    """Send every request over `connections` connections, each as fast as answers come."""
    pool = [await _Connection.open(host, port) for _ in range(connections)]
    result = LoadResult()
    next_index = 0

    async def worker(connection: _Connection) -> None:
        nonlocal next_index
        while next_index < len(requests):
            request = requests[next_index]
            next_index += 1
            started = time.perf_counter()
            status = await connection.exchange(request)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(connection) for connection in pool))
    finally:
        result.elapsed = time.perf_counter() - started
        await asyncio.gather(*(connection.close() for connection in pool))
    return result


async def open_loop(
    host: str, port: int, requests: Sequence[bytes], rate: float, connections: int
) -> LoadResult:
    """Send the requests at `rate` per second; latency counts from each request's due time."""
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    pool = [await _Connection.open(host, port) for _ in range(connections)]
    for connection in pool:
        idle.put_nowait(connection)
    result = LoadResult()

    async def one(request: bytes, due: float) -> None:
        connection = await idle.get()  # waiting for a free connection counts as latency
        try:
            status = await connection.exchange(request)
        finally:
            idle.put_nowait(connection)
        result.latencies.append(time.perf_counter() - due)
        result.statuses[status] += 1

    interval = 1.0 / rate
    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    try:
        for index, request in enumerate(requests):
            due = started + index * interval
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(request, due)))
        await asyncio.gather(*tasks)
    finally:
        result.elapsed = time.perf_counter() - started
        await asyncio.gather(*(connection.close() for connection in pool))
    return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def usable_cpus() -> list[int]:
    """The CPUs this process may run on, in order."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


@contextlib.contextmanager
def pinned(cpus: Sequence[int]) -> Iterator[None]:
    """Run this process on `cpus` for a while (no-op where affinity cannot be set)."""
    if not hasattr(os, "sched_setaffinity") or not cpus:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(cpus))
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@contextlib.contextmanager
def served(factory: str, env: Mapping[str, str], cpu: int | None) -> Iterator[tuple[str, int]]:
    """`uvicorn --factory FACTORY` on a free loopback port, pinned to `cpu`; (host, port).

    The server is stopped (SIGTERM, then SIGKILL) when the block ends.
    """
    host, port = "127.0.0.1", _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(  # noqa: S603  # our own interpreter and arguments
        command, cwd=ROOT, env={**os.environ, **env}
    )
    try:
        if cpu is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(process.pid, {cpu})
        _wait_until_up(host, port, process)
        yield host, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(host: str, port: int, process: subprocess.Popen[bytes]) -> None:
    """Block until GET /healthz answers 200; raise if the server dies or never answers."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the benchmark server exited with {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=1) as connection:
                connection.sendall(request)
                if connection.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the benchmark server did not answer within {STARTUP_TIMEOUT_SECONDS} s")


def web_app() -> FastAPI:
    """uvicorn factory: the real web app as `citybot serve` builds it, channels started but not
    the inbox, outbox and scheduler loops, which share the core in production: the benchmarks
    measure the acknowledgement path alone."""
    from bot.app import App
    from bot.settings import load_settings
    from bot.web import create_web_app

    return create_web_app(App.create(load_settings()), loops=False)
