"""A small HTTP load generator for the webhook benchmarks, and the rows they report.

The web app runs under uvicorn in a subprocess pinned to one core (bench.servers); the load
comes from this process (on another core when there is one) over raw keep-alive HTTP/1.1
connections, which cost far less per request than an HTTP client library, so the server is what
gets measured.

Two shapes of load:
- closed loop: each connection sends its next request as soon as the last one is answered
  (the most the server can take, at that concurrency);
- open loop: requests are due at a fixed rate whether or not earlier ones were answered, and
  latency counts from when a request was due, so a stalled server cannot hide its queue. How
  late the generator itself took up each request is kept too ("send lag", before any wait
  for a free connection, which is the server's doing): a generator that falls behind would
  otherwise pass its own stalls off as the server's.

The generator runs without garbage collection while it measures: a collection of its own heap
(this process has imported the bot) stops it for 100 ms and more, and in an open loop every
request due meanwhile would be counted late.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib.util
import math
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from bench.databases import inbox_count
from bench.report import rate
from bench.servers import pinned, served, usable_cpus

if TYPE_CHECKING:
    from bot.web import WebApp

T = TypeVar("T")

# What every webhook benchmark offers, unless it says otherwise.
TARGET_RATE = 2_500.0  # the product brief: this many per second on one core at p99 under 20 ms
WARM_UP = 500
REPEATS = 3
CLOSED_REQUESTS = 10_000
OPEN_REQUESTS = 10_000  # four seconds at the target rate
OPEN_CONNECTIONS = 64
COLUMNS = ("load", "answered", "req/s", "p50", "p99", "max", "unexpected", "send lag p99")


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    """The value under which `fraction` of `values` lie (nearest rank); NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


@dataclass
class LoadResult:
    """What one load run saw: answers by status, latencies, send lags and the time it took."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    lags: list[float] = field(default_factory=list)  # open loop: how late each was taken up
    elapsed: float = 0.0
    began: float = 0.0  # time.monotonic() when the first request was due: other processes' clock
    abandoned: int = 0  # open loop: requests still unanswered when the generator gave up

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
        return nearest_rank(self.latencies, fraction)

    def lag(self, fraction: float) -> float:
        """How late the generator took up `fraction` of the requests at most (NaN if closed)."""
        return nearest_rank(self.lags, fraction)


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

    def send(self, request: bytes) -> None:
        self._writer.write(request)

    async def answer(self) -> int:
        """The status of the next response, its body read and dropped."""
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
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


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """No garbage collection in this process for a while (see the module docstring)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def closed_loop(
    host: str,
    port: int,
    requests: Iterable[bytes],
    connections: int,
    seconds: float | None = None,
) -> LoadResult:
    """Send the requests over `connections` connections, each as fast as answers come.

    With `seconds`, no request is sent after that long (those in flight are still answered),
    so `requests` may be endless: a load of fixed length, whatever the server's pace.
    """
    pool = [await _Connection.open(host, port) for _ in range(connections)]
    result = LoadResult()
    pending = iter(requests)  # shared by the workers: each request is taken once
    deadline = math.inf

    async def worker(connection: _Connection) -> None:
        while time.perf_counter() < deadline:
            request = next(pending, None)
            if request is None:
                return
            started = time.perf_counter()
            connection.send(request)
            status = await connection.answer()
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1

    try:
        with _no_collection():
            started, result.began = time.perf_counter(), time.monotonic()
            if seconds is not None:
                deadline = started + seconds
            await asyncio.gather(*(worker(connection) for connection in pool))
            result.elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(connection.close() for connection in pool))
    return result


async def open_loop(
    host: str,
    port: int,
    requests: Iterable[bytes],
    rate: float,
    connections: int,
    give_up_after: float | None = None,
) -> LoadResult:
    """Send the requests at `rate` per second; latency counts from each request's due time.

    With `give_up_after`, requests still unanswered that many seconds after the last one was
    due are abandoned (counted, not timed): a server that falls far behind cannot make the
    run last as long as its queue.
    """
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    pool = [await _Connection.open(host, port) for _ in range(connections)]
    for connection in pool:
        idle.put_nowait(connection)
    result = LoadResult()

    async def one(request: bytes, due: float) -> None:
        result.lags.append(time.perf_counter() - due)
        connection = await idle.get()  # waiting for a free connection counts as latency
        try:
            connection.send(request)
            status = await connection.answer()
        finally:
            idle.put_nowait(connection)
        result.latencies.append(time.perf_counter() - due)
        result.statuses[status] += 1

    interval = 1.0 / rate
    tasks: list[asyncio.Task[None]] = []
    try:
        with _no_collection():
            started, result.began = time.perf_counter(), time.monotonic()
            for index, request in enumerate(requests):
                due = started + index * interval
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(request, due)))
            try:
                await asyncio.wait_for(asyncio.gather(*tasks), give_up_after)
            except TimeoutError:  # the unanswered ones are cancelled by now
                result.abandoned = sum(task.cancelled() for task in tasks)
            result.elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(connection.close() for connection in pool))
    return result


def run_load(load: Coroutine[Any, Any, LoadResult]) -> LoadResult:
    """Run one load on a fresh event loop: uvloop where installed, as the server uses."""
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        return uvloop.run(load)
    return asyncio.run(load)


@dataclass(frozen=True)
class Shape:
    """One load to put on a server: a closed loop, or an open loop at `rate` per second."""

    label: str  # how the table names it
    requests: Callable[[], list[bytes]]  # fresh requests for one run
    connections: int
    rate: float | None = None  # None: closed loop
    expected: int = 200  # the status every answer should have

    def run(self, host: str, port: int) -> LoadResult:
        """One run of this load against the server at host:port."""
        requests = self.requests()
        if self.rate is None:
            return run_load(closed_loop(host, port, requests, self.connections))
        return run_load(open_loop(host, port, requests, self.rate, self.connections))


def webhook_shapes(
    requests: Callable[[int], list[bytes]], connections: int, *extra: Shape
) -> list[Shape]:
    """The loads every webhook benchmark offers: as fast as answered, and the target rate."""
    return [
        Shape(
            f"as fast as answered, {connections} connections",
            lambda: requests(CLOSED_REQUESTS),
            connections,
        ),
        Shape(
            f"{TARGET_RATE:,.0f}/s offered, {OPEN_CONNECTIONS} connections",
            lambda: requests(OPEN_REQUESTS),
            OPEN_CONNECTIONS,
            rate=TARGET_RATE,
        ),
        *extra,
    ]


def webhook_rows(
    name: str,
    factory: str,
    database_url: str | None,
    channel: Mapping[str, str],
    shapes: Sequence[Shape],
    warm_up: Sequence[bytes],
) -> list[list[str]]:
    """Table rows (`name`, then COLUMNS) of each shape against one webhook server.

    The server is uvicorn's `factory` with the `channel` settings, on `database_url` migrated
    first (None: a server without one). Each shape runs REPEATS times, the runs interleaved so
    that a passing disturbance (this machine is shared) hits every shape rather than all runs
    of one; the run with the median p99 stands for the shape. Afterwards the inbox must hold
    exactly the events the server acknowledged with a 200.
    """
    env = {"CITYBOT_SIMULATOR": "false", "CITYBOT_LOG_LEVEL": "WARNING", **channel}
    if database_url is not None:
        from db.migrate import upgrade

        upgrade(database_url)
        env["DATABASE_URL"] = database_url
    cpus = usable_cpus()
    server_cpu, load_cpus = cpus[0], cpus[1:] or cpus
    runs: list[list[LoadResult]] = [[] for _ in shapes]
    with served(factory, env, server_cpu) as (host, port), pinned(load_cpus):
        warmed = run_load(closed_loop(host, port, warm_up, shapes[0].connections))
        for _ in range(REPEATS):
            for shape, results in zip(shapes, runs, strict=True):
                results.append(shape.run(host, port))
    if database_url is not None:
        every = [warmed, *(result for results in runs for result in results)]
        acknowledged = sum(result.statuses[200] for result in every)
        stored = inbox_count(database_url)
        if stored != acknowledged:
            raise RuntimeError(f"{name}: {stored} events stored, {acknowledged} acknowledged")
    medians = [median_run(results, key=lambda result: result.percentile(0.99)) for results in runs]
    return [[name, *_row(shape, result)] for shape, result in zip(shapes, medians, strict=True)]


def median_run(runs: Sequence[T], key: Callable[[T], float]) -> T:
    """The run with the median `key`: a typical run, its numbers kept together."""
    return sorted(runs, key=key)[len(runs) // 2]


def _row(shape: Shape, result: LoadResult) -> list[str]:
    lag = result.lag(0.99)
    return [
        shape.label,
        f"{result.answered:,}",
        rate(result.rate),
        f"{result.percentile(0.50) * 1000:.1f} ms",
        f"{result.percentile(0.99) * 1000:.1f} ms",
        f"{max(result.latencies) * 1000:.0f} ms",
        str(result.answered - result.statuses[shape.expected]),
        "—" if math.isnan(lag) else f"{lag * 1000:.1f} ms",
    ]


def setting_notes() -> list[str]:
    """Where the server and the generator ran, and on what: notes under every webhook table."""
    cpus = usable_cpus()
    found = {name: importlib.util.find_spec(name) is not None for name in ("uvloop", "httptools")}
    loop = "uvloop" if found["uvloop"] else "the asyncio event loop (uvloop not installed)"
    parser = "httptools" if found["httptools"] else "h11 (httptools not installed)"
    generator = ", ".join(map(str, cpus[1:])) or f"{cpus[0]} too (only one CPU)"
    return [
        f"Server (uvicorn on {loop} and {parser}, no access log) on CPU {cpus[0]}; load "
        f"generator (raw keep-alive HTTP/1.1, bench/load.py) on CPU {generator}.",
        "`send lag p99`: how late the generator itself took up 99 % of the open-loop requests "
        "(machine noise; a wait for a free connection is not counted, being the server's); "
        "latency counts from the due time, so any lag is in the latency too.",
    ]


def web_app() -> WebApp:
    """uvicorn factory: the real web app as `citybot serve` builds it, channels started but not
    the inbox, outbox and scheduler loops, which share the core in production: the benchmarks
    measure the acknowledgement path alone."""
    return bot_web_app(loops=False)


def bot_web_app(*, loops: bool) -> WebApp:
    """`citybot serve`'s web app as the environment configures it."""
    from bot.app import App
    from bot.settings import load_settings
    from bot.web import create_web_app

    return create_web_app(App.create(load_settings()), loops=loops)
