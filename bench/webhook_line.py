"""LINE webhook ingestion: requests per second and time to the 200, next to a signature-only app.

`POST /webhooks/line` of the real web app under uvicorn, one core, answering 200 only after the
event is committed to the inbox (SQLite or PostgreSQL), measured in the same run as a minimal
app that only verifies the signature: the most the HTTP stack allows on this machine.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bench.databases import empty_database, measurable_kinds
from bench.load import (
    COLUMNS,
    REPEATS,
    TARGET_RATE,
    WARM_UP,
    post_request,
    setting_notes,
    webhook_rows,
    webhook_shapes,
)
from bench.report import Table

if TYPE_CHECKING:
    from starlette.applications import Starlette

SECRET = "bench-line-channel-secret"  # noqa: S105  # a throwaway server's channel secret
ACCESS_TOKEN = "bench-line-access-token"  # noqa: S105  # nothing is sent with it
BOT_USER_ID = "U" + "b" * 32
CONNECTIONS = 64  # closed loop: requests in flight


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


def _measure(server: str, factory: str, url: str | None) -> list[list[str]]:
    """Closed and open loop against one server (with a database: the bot)."""
    numbers = itertools.count(1)
    channel = {
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": "http://127.0.0.1:9",  # nothing is sent in this benchmark
        "LINE_DATA_API_BASE_URL": "http://127.0.0.1:9",
    }
    shapes = webhook_shapes(lambda count: _requests(numbers, count), CONNECTIONS)
    return webhook_rows(server, factory, url, channel, shapes, warm_up=_requests(numbers, WARM_UP))


def run() -> Table:
    """Requests per second and p50/p99 to the 200: the ceiling, then the bot on each database."""
    rows = _measure("ceiling: signature only", "bench.webhook_line:ceiling_app", None)
    notes: list[str] = []
    for kind in measurable_kinds(notes):
        with empty_database(kind) as url:
            rows.extend(_measure(f"bot on {kind}", "bench.load:web_app", url))
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
        columns=["server", *COLUMNS],
        rows=rows,
        notes=[
            *notes,
            *setting_notes(),
            "The benchmark checks that the inbox holds exactly the events it acknowledged.",
        ],
    )


if __name__ == "__main__":
    print(run().markdown())
