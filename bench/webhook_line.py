"""LINE webhook ingestion: requests per second and time to the 200, next to a signature-only app.

`POST /webhooks/line` of the real web app under uvicorn, one core, answering 200 only after the
event is committed to the inbox (SQLite or PostgreSQL), measured in the same run as a minimal
app that only verifies the signature: the most the HTTP stack allows on this machine.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bench.databases import KINDS, empty_database, postgres_problem
from bench.load import (
    LoadResult,
    closed_loop,
    open_loop,
    pinned,
    post_request,
    served,
    usable_cpus,
)
from bench.report import Table, rate

if TYPE_CHECKING:
    from starlette.applications import Starlette

SECRET = "bench-line-channel-secret"  # noqa: S105  # a throwaway server's channel secret
ACCESS_TOKEN = "bench-line-access-token"  # noqa: S105  # nothing is sent with it
BOT_USER_ID = "U" + "b" * 32
WARM_UP = 500
CONNECTIONS = 64  # closed loop: requests in flight
REPEATS = 3
CLOSED_REQUESTS = 10_000
TARGET_RATE = 2_500.0  # issue 4's target: this many per second at p99 under 20 ms
OPEN_REQUESTS = 10_000  # four seconds at the target rate
OPEN_CONNECTIONS = 64


def ceiling_app() -> Starlette:
    """uvicorn factory: a bare Starlette app that verifies the signature and answers 200."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from bot.channels.line.webhook import SIGNATURE_HEADER, signature_matches

    secret = SECRET.encode()

    async def webhook(request: Request) -> Response:
        body = await request.body()
        if not signature_matches(secret, body, request.headers.get(SIGNATURE_HEADER)):
            return Response(status_code=401)
        return Response(status_code=200)

    async def healthz(_request: Request) -> Response:
        return Response(status_code=200)

    return Starlette(
        routes=[
            Route("/webhooks/line", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def _event(number: int) -> bytes:
    """A webhook with one text message from a user, as LINE posts it (about 700 bytes)."""
    user = f"U{number % 5_000:032x}"
    return json.dumps(
        {
            "destination": BOT_USER_ID,
            "events": [
                {
                    "type": "message",
                    "mode": "active",
                    "timestamp": 1_795_489_200_000 + number,
                    "webhookEventId": f"01BENCH{number:019d}",
                    "deliveryContext": {"isRedelivery": False},
                    "replyToken": f"{number:032x}",
                    "source": {"type": "user", "userId": user},
                    "message": {
                        "id": str(500_000_000_000_000_000 + number),
                        "type": "text",
                        "quoteToken": f"q{number:063x}",
                        "text": "อัปเดตความคืบหน้า แผนพัฒนาเมืองอัจฉริยะ ด้านการเดินทาง 60%",
                    },
                }
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def _requests(numbers: Iterator[int], count: int) -> list[bytes]:
    """`count` signed webhook requests carrying the next event numbers."""
    from bot.channels.line.webhook import signature

    made = []
    for _ in range(count):
        body = _event(next(numbers))
        headers = {"X-Line-Signature": signature(SECRET.encode(), body)}
        made.append(post_request("/webhooks/line", body, headers))
    return made


async def _stored(url: str) -> int:
    from sqlalchemy import func, select

    from db.models import InboundEvent
    from db.session import create_engine, create_session_factory

    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(InboundEvent)) or 0)
    finally:
        await engine.dispose()


def _row(server: str, load: str, result: LoadResult) -> list[str]:
    return [
        server,
        load,
        f"{result.answered:,}",
        rate(result.rate),
        f"{result.percentile(0.50) * 1000:.1f} ms",
        f"{result.percentile(0.99) * 1000:.1f} ms",
        f"{max(result.latencies) * 1000:.0f} ms",
        str(result.answered - result.statuses[200]),
    ]


def _median(results: list[LoadResult]) -> LoadResult:
    """The run with the median p99: a typical run, its numbers kept together."""
    return sorted(results, key=lambda result: result.percentile(0.99))[len(results) // 2]


def _measure(server: str, factory: str, url: str | None) -> list[list[str]]:
    """Closed and open loop against one server, interleaved REPEATS times; the median runs."""
    env = {
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": "http://127.0.0.1:9",  # nothing is sent in this benchmark
        "CITYBOT_SIMULATOR": "false",
        "CITYBOT_LOG_LEVEL": "WARNING",
    }
    if url is not None:
        from db.migrate import upgrade

        upgrade(url)
        env["DATABASE_URL"] = url
    cpus = usable_cpus()
    server_cpu, load_cpus = cpus[0], cpus[1:] or cpus
    numbers = itertools.count(1)
    with served(factory, env, server_cpu) as (host, port), pinned(load_cpus):
        asyncio.run(closed_loop(host, port, _requests(numbers, WARM_UP), CONNECTIONS))
        closed, opened = [], []
        for _ in range(REPEATS):  # interleaved, so a passing disturbance hits both shapes
            requests = _requests(numbers, CLOSED_REQUESTS)
            closed.append(asyncio.run(closed_loop(host, port, requests, CONNECTIONS)))
            requests = _requests(numbers, OPEN_REQUESTS)
            opened.append(
                asyncio.run(open_loop(host, port, requests, TARGET_RATE, OPEN_CONNECTIONS))
            )
    if url is not None:
        expected = WARM_UP + REPEATS * (CLOSED_REQUESTS + OPEN_REQUESTS)
        stored = asyncio.run(_stored(url))
        if stored != expected:
            raise RuntimeError(f"{server}: {stored} events stored, {expected} acknowledged")
    return [
        _row(server, f"as fast as answered, {CONNECTIONS} connections", _median(closed)),
        _row(
            server,
            f"{TARGET_RATE:,.0f}/s offered, {OPEN_CONNECTIONS} connections",
            _median(opened),
        ),
    ]


def _stack() -> str:
    """What uvicorn runs on here: uvloop and httptools when installed, else asyncio and h11."""
    found = {name: importlib.util.find_spec(name) is not None for name in ("uvloop", "httptools")}
    loop = "uvloop" if found["uvloop"] else "asyncio event loop (uvloop not installed)"
    parser = "httptools" if found["httptools"] else "h11 parser (httptools not installed)"
    return f"{loop}, {parser}"


def run() -> Table:
    """Requests per second and p50/p99 to the 200: the ceiling, then the bot on each database."""
    rows = _measure("ceiling: signature only", "bench.webhook_line:ceiling_app", None)
    notes: list[str] = []
    for kind in KINDS:
        problem = postgres_problem() if kind == "postgres" else None
        if problem is not None:
            notes.append(f"PostgreSQL not measured: {problem}")
            continue
        with empty_database(kind) as url:
            rows.extend(_measure(f"bot on {kind}", "bench.load:web_app", url))
    cpus = usable_cpus()
    return Table(
        title="LINE webhook ingestion",
        method=(
            "`POST /webhooks/line` of the real web app (`bot.web.create_web_app`) under uvicorn "
            "(`--no-access-log`) in a subprocess pinned to one core: the signature checked over "
            "the raw body, the body parsed once, and each event committed to the inbox before "
            "the 200 (requests arriving during a commit share the next one). The ceiling is a "
            "bare Starlette app on the same server stack that only checks the signature. Each "
            "request carries one ~700-byte text-message event with its own webhookEventId, "
            "signed like LINE signs it. Closed loop: each connection sends as soon as its last "
            "request is answered (the most the server takes). Open loop: requests are due at "
            f"{TARGET_RATE:,.0f}/s whatever the answers, latency counted from when each was "
            f"due. {REPEATS} interleaved runs per shape after {WARM_UP} warm-up requests; the "
            "run with the median p99 is shown. Inbox and outbox loops are off."
        ),
        columns=["server", "load", "answered", "per second", "p50", "p99", "max", "not 200"],
        rows=rows,
        notes=[
            *notes,
            f"Server CPU {cpus[0]}; load generator (raw keep-alive HTTP/1.1, bench/load.py) on "
            f"CPU {', '.join(map(str, cpus[1:])) or str(cpus[0]) + ' too (only one CPU)'}.",
            f"uvicorn ran on: {_stack()}.",
            "The benchmark checks that the inbox holds exactly the events it acknowledged.",
        ],
    )


if __name__ == "__main__":
    print(run().markdown())
