"""Telegram webhook ingestion: requests per second and acknowledgement latency of the real route.

`POST /webhooks/telegram` of the real web app under uvicorn, one core, answering 200 only after
the update is committed to the inbox (SQLite or PostgreSQL).
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import os
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
    pass

TOKEN = "1000000001:bench-token-not-a-real-one"  # noqa: S105  # nothing is sent with it
SECRET = "bench-webhook-secret"  # noqa: S105  # a throwaway server's header value
WARM_UP = 500
CONNECTIONS = 40  # Telegram's default max_connections for a webhook
REPEATS = 3
CLOSED_REQUESTS = 10_000
FORGED_REQUESTS = 5_000
TARGET_RATE = 2_500.0  # the design's target: this many per second at p99 under 20 ms
OPEN_REQUESTS = 10_000  # four seconds at the target rate
OPEN_CONNECTIONS = 64


def _update(update_id: int) -> bytes:
    """A private text message update as Telegram posts it (about 450 bytes of JSON)."""
    user = 700_000_000 + update_id % 5_000
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "from": {
                    "id": user,
                    "is_bot": False,
                    "first_name": "สมชาย",
                    "last_name": "ใจดี",
                    "language_code": "th",
                },
                "chat": {"id": user, "first_name": "สมชาย", "last_name": "ใจดี", "type": "private"},
                "date": 1_795_489_200,
                "text": "อัปเดตความคืบหน้า แผนพัฒนาเมืองอัจฉริยะ ด้านการเดินทาง 60%",
            },
        },
        ensure_ascii=False,
    ).encode()


def _requests(ids: Iterator[int], count: int) -> list[bytes]:
    """`count` webhook requests carrying the next update ids."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    return [post_request("/webhooks/telegram", _update(next(ids)), headers) for _ in range(count)]


def _forged() -> list[bytes]:
    """Requests with a wrong secret: the cost of the HTTP stack and the check, no commit."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"}
    return [
        post_request("/webhooks/telegram", _update(update_id), headers)
        for update_id in range(1, FORGED_REQUESTS + 1)
    ]


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


def _row(kind: str, load: str, result: LoadResult, expected: int = 200) -> list[str]:
    unexpected = result.answered - result.statuses[expected]
    return [
        kind,
        load,
        f"{result.answered:,}",
        rate(result.rate),
        f"{result.percentile(0.50) * 1000:.1f} ms",
        f"{result.percentile(0.99) * 1000:.1f} ms",
        f"{max(result.latencies) * 1000:.0f} ms",
        str(unexpected),
    ]


def _measure(kind: str, url: str) -> list[list[str]]:
    from db.migrate import upgrade

    upgrade(url)
    env = {
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",  # nothing is sent in this benchmark
        "CITYBOT_SIMULATOR": "false",
        "CITYBOT_LOG_LEVEL": "WARNING",
    }
    cpus = usable_cpus()
    server_cpu, load_cpus = cpus[0], cpus[1:] or cpus
    server = served("bench.load:web_app", env, server_cpu)
    ids = itertools.count(1)
    with server as (host, port), pinned(load_cpus):
        asyncio.run(closed_loop(host, port, _requests(ids, WARM_UP), CONNECTIONS))
        closed, opened, forged = [], [], []
        for _ in range(REPEATS):  # interleaved, so a passing disturbance hits every shape
            requests = _requests(ids, CLOSED_REQUESTS)
            closed.append(asyncio.run(closed_loop(host, port, requests, CONNECTIONS)))
            requests = _requests(ids, OPEN_REQUESTS)
            opened.append(
                asyncio.run(open_loop(host, port, requests, TARGET_RATE, OPEN_CONNECTIONS))
            )
            forged.append(asyncio.run(closed_loop(host, port, _forged(), CONNECTIONS)))
    expected = WARM_UP + REPEATS * (CLOSED_REQUESTS + OPEN_REQUESTS)
    stored = asyncio.run(_stored(url))
    if stored != expected:
        raise RuntimeError(f"{kind}: {stored} updates stored, {expected} acknowledged")
    return [
        _row(kind, f"as fast as answered, {CONNECTIONS} connections", _median(closed)),
        _row(
            kind, f"{TARGET_RATE:,.0f}/s offered, {OPEN_CONNECTIONS} connections", _median(opened)
        ),
        _row(kind, f"wrong secret (403), {CONNECTIONS} connections", _median(forged), 403),
    ]


def _median(results: list[LoadResult]) -> LoadResult:
    """The run with the median p99: a typical run, its numbers kept together."""
    return sorted(results, key=lambda result: result.percentile(0.99))[len(results) // 2]


def run() -> Table:
    """Requests per second and p50/p99 acknowledgement on SQLite and PostgreSQL."""
    rows: list[list[str]] = []
    notes: list[str] = []
    for kind in KINDS:
        problem = postgres_problem() if kind == "postgres" else None
        if problem is not None:
            notes.append(f"PostgreSQL not measured: {problem}")
            continue
        with empty_database(kind) as url:
            rows.extend(_measure(kind, url))
    cpus = usable_cpus()
    return Table(
        title="Telegram webhook ingestion",
        method=(
            "`POST /webhooks/telegram` of the real web app (`bot.web.create_web_app`) under "
            "uvicorn in a subprocess pinned to one core, with the secret header checked, the "
            "body parsed once and each update committed to the inbox before the 200 (requests "
            "arriving during a commit share the next one). Updates are ~450-byte private text "
            "messages with distinct `update_id`s. Load from raw keep-alive HTTP/1.1 "
            f"connections on {'another core' if len(cpus) > 1 else 'the same core'}: as fast "
            f"as answers come ({CLOSED_REQUESTS:,} requests); open-loop at {TARGET_RATE:,.0f}/s "
            f"({OPEN_REQUESTS:,} requests, latency counted from when each request was due); "
            f"and {FORGED_REQUESTS:,} requests with a wrong secret, the HTTP stack's own "
            f"ceiling. {WARM_UP} warm-up requests, then each shape {REPEATS} times, "
            "interleaved; the run with the median p99 is shown. Every acknowledged update is "
            "checked to be in the inbox afterwards; `unexpected` counts other answers."
        ),
        columns=["database", "load", "requests", "req/s", "p50", "p99", "max", "unexpected"],
        rows=rows,
        notes=[
            "The inbox processor and outbox are not running in the measured process: this is "
            "the acknowledgement path alone; in production they share the core.",
            f"uvicorn runs with {_http_parser()}.",
            *notes,
        ],
    )


def _http_parser() -> str:
    """What uvicorn's `auto` settings pick here: httptools and uvloop when installed."""
    found = [name for name in ("httptools", "uvloop") if importlib.util.find_spec(name)]
    if not found:
        return "h11 on the asyncio loop (pure Python; httptools and uvloop are not installed)"
    return " and ".join(found)


if __name__ == "__main__":  # `python -m bench.webhook_telegram` prints the table alone
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    print(run().markdown())
