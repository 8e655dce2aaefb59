"""End to end: LINE webhooks in, replies out, with every loop of `citybot serve` on one core.

The web app, the inbox processor, the dispatcher with the real handlers and the outbox worker
run together in one uvicorn process pinned to one core, as in production; registered members
post `/help` through signed webhooks at a fixed rate, and the fake LINE API of the tests (in this
process, on the other core) records when each reply arrives. A reply is matched to its webhook by
its reply token, so its latency counts from when the webhook was due. The backlog is what was
acknowledged but not yet answered; it lives in the database inbox, so a restart loses none of it.
"""

from __future__ import annotations

import asyncio
import json
import time

from bench.broadcast import seeded
from bench.databases import empty_database, postgres_problem
from bench.load import (
    OPEN_CONNECTIONS,
    bot_web_app,
    open_loop,
    post_request,
    run_load,
    served,
    usable_cpus,
)
from bench.report import Table, rate, seconds
from bot.channels.line.webhook import signature
from bot.web import WebApp
from db.enums import Role
from db.session import create_engine, create_session_factory
from tests.factories import add_members_in_bulk, line
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import ACCESS_TOKEN, BOT_USER_ID, SECRET
from tests.fakes.loopback import serving_in_thread

MEMBERS = 500  # each writes every few seconds: conversations, not only first contacts
SECONDS = 15  # of load at each rate
RATES = (50.0, 75.0, 100.0, 150.0)
DRAIN_LIMIT = 60.0  # seconds to wait for the last replies after the load stops


def serving_app() -> WebApp:
    """uvicorn factory: `citybot serve` as configured by the environment, every loop running."""
    return bot_web_app(loops=True)


def _members(url: str) -> None:
    async def write() -> None:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                accounts = [line(f"{n:x}") for n in range(MEMBERS)]
                await add_members_in_bulk(session, "khon-kaen", Role.OFFICER, accounts)
        finally:
            await engine.dispose()

    seeded(url)
    asyncio.run(write())


def _request(number: int, sent_at: float) -> bytes:
    """A signed webhook: member `number % MEMBERS` asks for help; the reply token is `number`.

    `sent_at` (epoch seconds) is the event's timestamp: the bot answers by reply token only
    while the event is fresh, as LINE's tokens expire.
    """
    body = json.dumps(
        {
            "destination": BOT_USER_ID,
            "events": [
                {
                    "type": "message",
                    "mode": "active",
                    "timestamp": int(sent_at * 1000),
                    "webhookEventId": f"01REPLY{number:019d}",
                    "deliveryContext": {"isRedelivery": False},
                    "replyToken": f"{number:032x}",
                    "source": {"type": "user", "userId": _member(number)},
                    "message": {"id": str(700_000_000 + number), "type": "text", "text": "/help"},
                }
            ],
        },
        separators=(",", ":"),
    ).encode()
    headers = {"X-Line-Signature": signature(SECRET.encode(), body)}
    return post_request("/webhooks/line", body, headers)


def _member(number: int) -> str:
    return line(f"{number % MEMBERS:x}").external_id


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(fraction * len(ordered)) - 1, 0)] if ordered else float("nan")


def _row(
    offered: float,
    first: int,
    count: int,
    window: tuple[float, float, float],
    api: FakeLineApi,
) -> list[str]:
    """One rate's figures from the replies the fake received for its webhooks.

    `window`: when the load started and stopped, and when the wait for replies ended.
    """
    started, stopped, ended = window
    due = {first + index: started + index / offered for index in range(count)}
    answered = {
        int(request.json["replyToken"], 16): request.at
        for request in api.accepted("reply")
        if int(request.json["replyToken"], 16) in due
    }
    latencies = [answered[number] - due[number] for number in answered]
    events = sorted([(at, 1) for at in due.values()] + [(at, -1) for at in answered.values()])
    backlog = peak = 0
    for _, change in events:
        backlog += change
        peak = max(peak, backlog)
    within = [at for at in answered.values() if at <= stopped]
    pushed = sum(1 for request in api.accepted("push") if started <= request.at <= ended)
    return [
        f"{rate(offered)}/s for {SECONDS} s",
        f"{len(answered):,} of {count:,}",
        f"{len(within) / (stopped - started):,.0f}/s",
        seconds(_percentile(latencies, 0.5)),
        seconds(_percentile(latencies, 0.99)),
        f"{peak:,}",
        seconds(max(answered.values(), default=stopped) - stopped),
        str(pushed),
    ]


def _ladder(url: str) -> list[list[str]]:
    api = FakeLineApi()  # every member has a LINE profile, as friends of the bot do
    api.profiles.update({_member(n): {"displayName": f"สมาชิก {n}"} for n in range(MEMBERS)})
    cpus = usable_cpus()
    rows: list[list[str]] = []
    with serving_in_thread(api):
        env = {
            "DATABASE_URL": url,
            "CITYBOT_ENV": "production",
            "CITYBOT_LOG_LEVEL": "WARNING",
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
            "LINE_API_BASE_URL": api.base_url,
            "LINE_DATA_API_BASE_URL": api.base_url,
        }
        with served("bench.replies:serving_app", env, cpus[0] if len(cpus) > 1 else None) as (
            host,
            port,
        ):
            first = 0
            for offered in RATES:
                count = int(offered * SECONDS)
                begin = time.time() + 1.0  # building the requests takes well under a second
                requests = [_request(first + n, begin + n / offered) for n in range(count)]
                time.sleep(max(begin - time.time(), 0.0))
                started = time.monotonic()
                result = run_load(open_loop(host, port, requests, offered, OPEN_CONNECTIONS))
                stopped = time.monotonic()
                if result.statuses != {200: count}:
                    raise RuntimeError(f"webhooks not all acknowledged: {result.statuses}")
                deadline = stopped + DRAIN_LIMIT
                while time.monotonic() < deadline and _replied(api, first, count) < count:
                    time.sleep(0.2)
                window = (started, stopped, time.monotonic())
                rows.append(_row(offered, first, count, window, api))
                first += count
    return rows


def _replied(api: FakeLineApi, first: int, count: int) -> int:
    tokens = (int(request.json["replyToken"], 16) for request in api.accepted("reply"))
    return sum(1 for token in tokens if first <= token < first + count)


def run() -> Table:
    """A rising rate on PostgreSQL (SQLite when no server answers), one process on one core."""
    problem = postgres_problem()
    kind = "sqlite" if problem else "postgres"
    with empty_database(kind) as url:
        _members(url)
        rows = _ladder(url)
    return Table(
        title="End to end: LINE webhooks to replies, one core",
        method=(
            "`citybot serve` (web app, inbox processor, dispatcher and handlers, outbox worker, "
            f"scheduler) in one uvicorn process pinned to one core, on {kind}, with LINE pointed "
            f"at the fake LINE API of the tests. {MEMBERS:,} registered members send `/help` in "
            f"signed webhooks at each rate for {SECONDS} s (open loop, {OPEN_CONNECTIONS} "
            "connections); "
            "each reply (a Flex menu, through the reply token) is matched to its webhook."
        ),
        columns=[
            "offered",
            "replied",
            "replies/s during load",
            "reply p50",
            "reply p99",
            "peak backlog",
            "last reply after load",
            "sent by push instead",
        ],
        rows=rows,
        notes=[
            "Latency runs from when the webhook was due to when the fake received the reply.",
            "Backlog = webhooks acknowledged and not yet answered; they wait as inbox rows in the "
            "database (a restart resumes them), while the process holds at most one batch.",
            "A reply to an event older than the reply token's life (25 s) goes by push instead; "
            "those are counted apart, not in `replied`.",
            "For scale: python-telegram-bot's webhook sample falls to about 60 replies/s under "
            "load here, with an unbounded in-memory backlog.",
        ],
    )
