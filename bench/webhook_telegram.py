"""Telegram webhook ingestion: requests per second and acknowledgement latency of the real route.

`POST /webhooks/telegram` of the real web app under uvicorn, one core, answering 200 only after
the update is committed to the inbox (SQLite or PostgreSQL).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator

from bench.databases import empty_database, measurable_kinds
from bench.load import (
    CLOSED_REQUESTS,
    COLUMNS,
    OPEN_REQUESTS,
    REPEATS,
    TARGET_RATE,
    WARM_UP,
    Shape,
    post_request,
    setting_notes,
    webhook_rows,
    webhook_shapes,
)
from bench.report import Table

TOKEN = "1000000001:bench-token-not-a-real-one"  # noqa: S105  # nothing is sent with it
SECRET = "bench-webhook-secret"  # noqa: S105  # a throwaway server's header value
CONNECTIONS = 40  # Telegram's default max_connections for a webhook
FORGED_REQUESTS = 5_000


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


def _measure(kind: str, url: str) -> list[list[str]]:
    ids = itertools.count(1)
    forged = Shape(
        f"wrong secret (403), {CONNECTIONS} connections", _forged, CONNECTIONS, expected=403
    )
    channel = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",  # nothing is sent in this benchmark
    }
    shapes = webhook_shapes(lambda count: _requests(ids, count), CONNECTIONS, forged)
    return webhook_rows(
        kind, "bench.load:web_app", url, channel, shapes, warm_up=_requests(ids, WARM_UP)
    )


def run() -> Table:
    """Requests per second and p50/p99 acknowledgement on SQLite and PostgreSQL."""
    rows: list[list[str]] = []
    notes: list[str] = []
    for kind in measurable_kinds(notes):
        with empty_database(kind) as url:
            rows.extend(_measure(kind, url))
    return Table(
        title="Telegram webhook ingestion",
        method=(
            "`POST /webhooks/telegram` of the real web app (`bot.web.create_web_app`) under "
            "uvicorn in a subprocess pinned to one core, with the secret header checked, the "
            "body parsed once and each update committed to the inbox before the 200 (requests "
            "arriving during a commit share the next one). Updates are ~450-byte private text "
            "messages with distinct `update_id`s. Load from raw keep-alive HTTP/1.1 "
            f"connections: as fast as answers come ({CLOSED_REQUESTS:,} requests); open-loop "
            f"at {TARGET_RATE:,.0f}/s ({OPEN_REQUESTS:,} requests, latency counted from when "
            f"each request was due); and {FORGED_REQUESTS:,} requests with a wrong secret, the "
            f"HTTP stack's own ceiling. {WARM_UP} warm-up requests, then each shape {REPEATS} "
            "times, interleaved; the run with the median p99 is shown. Every acknowledged "
            "update is checked to be in the inbox afterwards; `unexpected` counts other answers."
        ),
        columns=["database", *COLUMNS],
        rows=rows,
        notes=[
            "The inbox processor and outbox are not running in the measured process: this is "
            "the acknowledgement path alone; in production they share the core.",
            *setting_notes(),
            *notes,
        ],
    )


if __name__ == "__main__":  # `python -m bench.webhook_telegram` prints the table alone
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    print(run().markdown())
