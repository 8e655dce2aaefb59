"""One run of the replies benchmark (bench.replies): a load of signed webhooks on a server.

The server is started for the run and stopped after it — `citybot serve` on a fresh database
with the members, or LINE's echo example — pinned to its core; the webhooks go out in a closed or
an open loop after a short warm-up; then the replies are awaited, and what the fake LINE API
(bench.peers.line_api, its own process) received is sorted by reply token: when each webhook was
answered, what went by push, whether anyone was answered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import itertools
import json
import os
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from bench.broadcast import seeded
from bench.databases import empty_database
from bench.load import LoadResult, bot_web_app, closed_loop, open_loop, post_request, run_load
from bench.peers import line_echo
from bench.peers.line_api import FakeLineProcess, Received
from bench.servers import cpu_seconds, running, uvicorn
from bot.channels.line.webhook import signature
from bot.web import WebApp
from db.enums import Role
from db.models import Identity
from db.session import create_engine, create_session_factory
from tests.factories import add_members_in_bulk, line
from tests.fakes.line_events import ACCESS_TOKEN, BOT_USER_ID, SECRET


def setting(name: str, default: str) -> str:
    """CITYBOT_BENCH_REPLY_<name> from the environment: shorter runs while developing."""
    return os.environ.get(f"CITYBOT_BENCH_REPLY_{name}", default)


MEMBERS = 500  # each writes every few seconds: conversations, not only first contacts
CONNECTIONS = 16  # as in the wrk measurement
SECONDS = float(setting("SECONDS", "10"))  # of load, in every run
SETTLE = 10.0  # open loop: how long after the load late acknowledgements and replies may come
DRAIN = 5.0  # closed loop: the short drain after the load that one reply rate includes
POLL = 0.2  # seconds between looks at what the fake received, while waiting for replies
RUN_TOKENS = 10_000_000  # the reply tokens of run n are the numbers from n × RUN_TOKENS on
# Answered before each load, one per member: first-time costs (imports, statements compiled,
# each member's last-seen update) are paid before the measurement.
WARM_UP = 500
PROBE = 0.5  # seconds between looks at the backlog the server reports, if it reports one


def serving_app() -> WebApp:
    """uvicorn factory: `citybot serve` as configured by the environment, every loop running.

    With CITYBOT_BENCH_PROFILE=<file>, the server runs under cProfile and writes its profile
    there as it shuts down (read it with `python -m pstats <file>`): how docs/benchmarks.md's
    profile of the reply path was taken.
    """
    app = bot_web_app(loops=True)
    target = os.environ.get("CITYBOT_BENCH_PROFILE")
    if target:
        app.router.lifespan_context = _profiled(app.router.lifespan_context, target)
    return app


def _profiled(lifespan: Any, target: str) -> Any:
    """`lifespan` with cProfile on from start-up to shutdown, the stats written to `target`."""

    @contextlib.asynccontextmanager
    async def profiled(app: Any) -> AsyncIterator[Any]:
        profile = cProfile.Profile()
        async with lifespan(app) as state:
            profile.enable()
            try:
                yield state
            finally:
                profile.disable()
                profile.dump_stats(target)

    return profiled


# --- the webhooks ---------------------------------------------------------------------------


def _members(url: str) -> None:
    """The seeded content and the members, their LINE profiles already known to the bot: they
    are in conversation with it, not making first contact (which asks LINE for the profile)."""

    async def write() -> None:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                accounts = [line(f"{n:x}") for n in range(MEMBERS)]
                await add_members_in_bulk(session, "khon-kaen", Role.OFFICER, accounts)
                await session.execute(update(Identity).values(display_name=Identity.external_id))
        finally:
            await engine.dispose()

    seeded(url)
    asyncio.run(write())


def _request(number: int, sent_at: float) -> bytes:
    """A signed webhook: member `number % MEMBERS` asks for help; the reply token is `number`.

    `sent_at` (epoch seconds) is the event's timestamp: the bot answers by reply token only
    while the event is fresh, as LINE's tokens expire. The text message carries a quote token
    as LINE's always do: the SDK's parser takes a text message without one for an unknown event.
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
                    "message": {
                        "id": str(700_000_000 + number),
                        "type": "text",
                        "quoteToken": f"q{number:063x}",
                        "text": "/help",
                    },
                }
            ],
        },
        separators=(",", ":"),
    ).encode()
    headers = {"X-Line-Signature": signature(SECRET.encode(), body)}
    return post_request("/webhooks/line", body, headers)


def _webhooks(first: int) -> Iterator[bytes]:
    """Webhooks numbered from `first` on, each made as the generator takes it up (so stamped
    with the moment it goes out): a closed loop needs as many as the server takes."""
    for number in itertools.count(first):
        yield _request(number, time.time())


def _member(number: int) -> str:
    """The LINE user id of whoever sends webhook `number`."""
    return line(f"{number % MEMBERS:x}").external_id


# --- one run: a load on a server, and what reached the fake -----------------------------------


@dataclass(frozen=True)
class Server:
    """Where the load goes: `citybot serve` on a database `kind`, or (None) the echo example."""

    kind: str | None

    @property
    def name(self) -> str:
        """As the tables name it."""
        return f"citybot serve on {self.kind}" if self.kind else "LINE's aiohttp echo example"


@dataclass(frozen=True)
class Load:
    """How the webhooks go out: open loop at `rate` per second, or (None) closed loop."""

    rate: float | None = None

    @property
    def wait(self) -> float:
        """How long after the load replies are awaited."""
        return DRAIN if self.rate is None else SETTLE

    def run(
        self, address: tuple[str, int], webhooks: Iterator[bytes]
    ) -> tuple[LoadResult, int, float]:
        """The result of the load, how many webhooks it offered, and for how many seconds."""
        if self.rate is None:
            result = run_load(closed_loop(*address, webhooks, CONNECTIONS, SECONDS))
            return result, result.answered, result.elapsed
        count = round(self.rate * SECONDS)
        webhooks = itertools.islice(webhooks, count)
        result = run_load(open_loop(*address, webhooks, self.rate, CONNECTIONS, SETTLE))
        return result, count, count / self.rate


@dataclass(frozen=True)
class Run:
    """One load on one server, and the answers the fake LINE API received within the wait."""

    load: LoadResult
    tokens: range  # the reply token numbers of the webhooks offered, in order
    stopped: float  # time.monotonic() when the load ended (the last webhook sent, or due)
    replies: dict[int, float]  # token number → when the reply with that token arrived
    pushes: list[float]  # when each push arrived
    sizes: list[int]  # bytes of each reply request
    throttled: int  # requests LINE's rate limit refused (429)
    twice: int  # answers beyond one per webhook, by person, however late they came
    busy: tuple[float, float]  # share of a CPU used during the load: server, generator + fake
    reported: list[int]  # the backlog the server's /readyz gave, polled during load and wait

    @property
    def offered(self) -> int:
        """Webhooks offered."""
        return len(self.tokens)

    @property
    def acknowledged(self) -> int:
        """Webhooks answered 200."""
        return self.load.statuses[200]

    @property
    def length(self) -> float:
        """Seconds of load."""
        return self.stopped - self.load.began

    def replied_by(self, moment: float) -> int:
        """Replies by token received by `moment` (time.monotonic())."""
        return sum(1 for at in self.replies.values() if at <= moment)

    @property
    def waiting(self) -> int:
        """Acknowledged webhooks with no answer (reply or push) at the end of the wait."""
        return max(self.acknowledged - len(self.replies) - len(self.pushes), 0)


def measure(server: Server, load: Load, fake: FakeLineProcess, number: int, cpu: int) -> Run:
    """Run `load` on `server` (started for it, stopped after), then wait for its replies."""
    first = number * RUN_TOKENS
    with _serving(server, fake, cpu) as (pid, address):
        _warm_up(address, fake, first + RUN_TOKENS // 2)
        start = len(fake.refresh())
        with _reported_backlog(address) as reported:
            before = (cpu_seconds(pid), cpu_seconds() + cpu_seconds(fake.pid))
            result, offered, length = load.run(address, _webhooks(first))
            after = (cpu_seconds(pid), cpu_seconds() + cpu_seconds(fake.pid))
            stopped, tokens = result.began + length, range(first, first + offered)
            deadline = stopped + load.wait
            _await_answers(fake, start, tokens, result.statuses[200], deadline)
    records = fake.refresh()[start:]  # the server has stopped: nothing more will come
    within = [record for record in records if record.at <= deadline]
    replies = _replies(within, tokens)
    return Run(
        load=result,
        tokens=tokens,
        stopped=stopped,
        replies={number: record.at for number, record in replies.items()},
        pushes=[record.at for record in within if _accepted(record, "push")],
        sizes=[record.size for record in replies.values()],
        throttled=sum(1 for record in records if record.status == 429),
        twice=_answered_twice(records, tokens),
        busy=(
            (after[0] - before[0]) / result.elapsed,
            (after[1] - before[1]) / result.elapsed,
        ),
        reported=reported,
    )


@contextmanager
def _serving(
    server: Server, fake: FakeLineProcess, cpu: int
) -> Iterator[tuple[int, tuple[str, int]]]:
    """`server` up (the bot on a fresh database with the members), pinned to `cpu`; its pid
    and address."""
    env = {
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": fake.base_url,
    }
    if server.kind is None:
        with running(line_echo.command, env, cpu) as (process, address):
            yield process.pid, address
        return
    with empty_database(server.kind) as url:
        _members(url)
        env |= {
            "DATABASE_URL": url,
            "CITYBOT_ENV": "production",
            "CITYBOT_LOG_LEVEL": "WARNING",
            "LINE_DATA_API_BASE_URL": fake.base_url,
        }
        with running(uvicorn("bench.reply_runs:serving_app"), env, cpu) as (process, address):
            yield process.pid, address


@contextmanager
def _reported_backlog(address: tuple[str, int]) -> Iterator[list[int]]:
    """The backlog the server reports while the block runs, if it does: `GET /readyz` every
    PROBE seconds from a thread, `{"backlog": {"pending": N}}` read when it is there.

    A server whose first answer has no backlog is not asked again: each probe costs it a
    database check, which a benchmark should not add for nothing.
    """
    first = _pending(address)
    if first is None:
        yield []
        return
    reported, stop = [first], threading.Event()

    def probe() -> None:
        while not stop.wait(PROBE):
            pending = _pending(address)
            if pending is not None:
                reported.append(pending)

    thread = threading.Thread(target=probe, name="readyz-probe", daemon=True)
    thread.start()
    try:
        yield reported
    finally:
        stop.set()
        thread.join()


def _pending(address: tuple[str, int]) -> int | None:
    host, port = address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=2.0) as answer:
            backlog = json.load(answer).get("backlog")
    except (OSError, ValueError, AttributeError):  # no such route, not JSON, not ready: unknown
        return None
    pending = backlog.get("pending") if isinstance(backlog, dict) else None
    return pending if isinstance(pending, int) else None


def _accepted(record: Received, endpoint: str) -> bool:
    return record.endpoint == endpoint and 200 <= record.status < 300


def _replies(records: Sequence[Received], tokens: range) -> dict[int, Received]:
    """The accepted replies with `tokens`, by token number (LINE takes a token once)."""
    replies = {}
    for record in records:
        if _accepted(record, "reply") and record.reply_token is not None:
            number = int(record.reply_token, 16)
            if number in tokens:
                replies[number] = record
    return replies


def _warm_up(address: tuple[str, int], fake: FakeLineProcess, first: int) -> None:
    """WARM_UP webhooks (tokens from `first`) sent and answered, or SETTLE seconds passed."""
    start = len(fake.refresh())
    webhooks = itertools.islice(_webhooks(first), WARM_UP)
    result = run_load(closed_loop(*address, webhooks, CONNECTIONS))
    deadline = time.monotonic() + SETTLE
    _await_answers(fake, start, range(first, first + WARM_UP), result.statuses[200], deadline)


def _await_answers(
    fake: FakeLineProcess, start: int, tokens: range, expected: int, deadline: float
) -> None:
    """Until `expected` answers (replies with `tokens`, or pushes) have come since the fake's
    `start`th request, or `deadline` (time.monotonic())."""
    while time.monotonic() < deadline:
        records = fake.refresh()[start:]
        pushes = sum(1 for record in records if _accepted(record, "push"))
        if len(_replies(records, tokens)) + pushes >= expected:
            return
        time.sleep(POLL)


def _answered_twice(records: Sequence[Received], tokens: range) -> int:
    """Answers beyond what each person asked for: replies by token plus pushes, per person.

    A push cannot be matched to its webhook, but nobody may get more answers than webhooks.
    """
    asked = Counter(_member(number) for number in tokens)
    got = Counter(_member(number) for number in _replies(records, tokens))
    got.update(record.to for record in records if _accepted(record, "push") and record.to)
    return sum(max(count - asked[person], 0) for person, count in got.items())
