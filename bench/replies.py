"""End to end: LINE webhooks in, replies out, with every loop of `citybot serve` on one core.

The web app, the inbox processor, the dispatcher with the real handlers, the outbox worker and the
scheduler run together in one uvicorn process pinned to one core, as in production. Registered
members post `/help` in signed webhooks; the fake LINE API of the tests, in a process of its own
(bench.peers.line_api) on the other core with the load generator, records when each reply
arrives, and a reply is matched to its webhook by its reply token. Two loads:

- open loop, at a ladder of rates: webhooks are due at a fixed rate whatever the answers, so
  latency counts from when each was due and the backlog (acknowledged, not yet answered: in the
  bot it waits in the database inbox) shows. Each rate has a fresh database and server, so none
  inherits the last one's backlog.
- closed loop, against a yardstick: as fast as acknowledged for a fixed time, in rounds that
  alternate between `citybot serve` and LINE's own aiohttp echo example (bench.peers.line_echo)
  on the same core, with the same fake and the same webhooks, so machine noise hits both.

Every run checks the exactly-once promise from outside: nobody is answered more often than they
wrote (replies by token and pushes together); a violation fails the benchmark.

Quicker, while developing: CITYBOT_BENCH_REPLY_RATES=100,500 CITYBOT_BENCH_REPLY_SECONDS=5
CITYBOT_BENCH_REPLY_ROUNDS=1 python -m bench.run --only replies
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import statistics
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import update

from bench.broadcast import seeded
from bench.databases import empty_database, measurable_kinds
from bench.load import (
    LoadResult,
    bot_web_app,
    closed_loop,
    cpu_seconds,
    median_run,
    nearest_rank,
    open_loop,
    pinned,
    post_request,
    run_load,
    running,
    usable_cpus,
    uvicorn,
)
from bench.peers import line_echo
from bench.peers.line_api import FakeLineProcess, Received, fake_line_api
from bench.report import Table, rate, seconds
from bot.channels.line.webhook import signature
from bot.web import WebApp
from db.enums import Role
from db.models import Identity
from db.session import create_engine, create_session_factory
from tests.factories import add_members_in_bulk, line
from tests.fakes.line_events import ACCESS_TOKEN, BOT_USER_ID, SECRET


def _setting(name: str, default: str) -> str:
    return os.environ.get(f"CITYBOT_BENCH_REPLY_{name}", default)


MEMBERS = 500  # each writes every few seconds: conversations, not only first contacts
CONNECTIONS = 16  # as in the wrk measurement
RATES = tuple(float(offered) for offered in _setting("RATES", "100,500,1000").split(","))
SECONDS = float(_setting("SECONDS", "10"))  # of load, in every run
ROUNDS = int(_setting("ROUNDS", "3"))  # closed loop: runs against each server, alternating
SETTLE = 10.0  # open loop: how long after the load late acknowledgements and replies may come
DRAIN = 5.0  # closed loop: the short drain after the load that one reply rate includes
POLL = 0.2  # seconds between looks at what the fake received, while waiting for replies
RUN_TOKENS = 10_000_000  # the reply tokens of run n are the numbers from n × RUN_TOKENS on
WARM_UP = 20  # webhooks answered before each load: a fresh process's first ones pay for imports
PROBE = 0.5  # seconds between looks at the backlog the server reports, if it reports one
TOKEN_LIFE = 25.0  # seconds: the bot pushes instead of replying to older events (its default)


def serving_app() -> WebApp:
    """uvicorn factory: `citybot serve` as configured by the environment, every loop running."""
    return bot_web_app(loops=True)


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


def _measure(server: Server, load: Load, fake: FakeLineProcess, number: int, cpu: int) -> Run:
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
        with running(uvicorn("bench.replies:serving_app"), env, cpu) as (process, address):
            yield process.pid, address


@contextmanager
def _reported_backlog(address: tuple[str, int]) -> Iterator[list[int]]:
    """The backlog the server reports while the block runs, if it does: `GET /readyz` every
    PROBE seconds from a thread, `{"backlog": {"pending": N}}` read when it is there."""
    reported: list[int] = []
    stop = threading.Event()

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
        with urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=PROBE) as answer:
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


# --- the open-loop ladder -----------------------------------------------------------------------

LADDER_COLUMNS = [
    "database",
    "offered",
    "acknowledged",
    "ack p99",
    "replies/s during load",
    "replied by token",
    "reply p50",
    "reply p99",
    "peak backlog",
    "last reply after load",
    "sent by push instead",
    "answered twice",
]


def _ladder_row(kind: str, offered_rate: float, run: Run) -> list[str]:
    """One rate's figures; latencies from each webhook's due time, ∞ when never timed."""
    due = {token: run.load.began + index / offered_rate for index, token in enumerate(run.tokens)}
    acks = run.load.latencies + [math.inf] * (run.offered - run.load.answered)
    latencies = [run.replies.get(token, math.inf) - at for token, at in due.items()]
    refused = run.load.answered - run.acknowledged
    acknowledged = f"{run.acknowledged:,} of {run.offered:,}"
    if refused:
        acknowledged += f" ({refused:,} refused)"
    return [
        kind,
        f"{rate(offered_rate)}/s",
        acknowledged,
        _late(nearest_rank(acks, 0.99)),
        rate(run.replied_by(run.stopped) / run.length),
        f"{len(run.replies):,} ({len(run.replies) / run.offered:.0%})",
        _late(nearest_rank(latencies, 0.50)),
        _late(nearest_rank(latencies, 0.99)),
        _backlog(list(due.values()), run),
        _drained(run),
        f"{len(run.pushes):,}",
        f"{run.twice:,}",
    ]


def _late(latency: float) -> str:
    """A latency, or "> SETTLE" for what came after the wait (or never)."""
    return seconds(latency) if math.isfinite(latency) else f"> {seconds(SETTLE)}"


def _backlog(dues: Sequence[float], run: Run) -> str:
    """The most webhooks due and not yet answered at any moment, and the most the server
    reported waiting, when it reports a backlog."""
    answers = [*run.replies.values(), *run.pushes]
    changes = sorted([(at, 1) for at in dues] + [(at, -1) for at in answers])
    peak = f"{max(itertools.accumulate(change for _, change in changes), default=0):,}"
    return f"{peak} (server: {max(run.reported):,})" if run.reported else peak


def _drained(run: Run) -> str:
    """From the end of the load to the last answer, if every acknowledged webhook got one."""
    if run.waiting:
        return f"not drained: {run.waiting:,} waiting after {seconds(SETTLE)}"
    last = max([*run.replies.values(), *run.pushes], default=run.stopped)
    return seconds(max(last - run.stopped, 0.0))


def _ladder_table(rows: list[list[str]], runs: list[Run], notes: list[str]) -> Table:
    observed = SECONDS + SETTLE  # seconds from the first webhook's due time to the wait's end
    pushes = (
        f"only webhooks from the first {observed - TOKEN_LIFE:g} s of a load reach that age "
        "within the wait"
        if observed > TOKEN_LIFE
        else f"no webhook reaches that age within the wait ({observed:g} s from the first)"
    )
    return Table(
        title="End to end: LINE webhooks to replies, one core",
        method=(
            "`citybot serve` (web app, inbox processor, dispatcher and handlers, outbox worker, "
            "scheduler) in one uvicorn process pinned to one core, with LINE pointed at the "
            "fake LINE API of the tests (its checks and LINE's 2,000/s reply limit), which runs "
            "in a process of its own on the other core next to the load generator. "
            f"{MEMBERS:,} registered members send `/help` in signed webhooks, open loop over "
            f"{CONNECTIONS} connections (as the issue's wrk measurement), at each rate for "
            f"{SECONDS:g} s; every rate on a fresh database and a fresh server, so none "
            f"inherits another's backlog. Replies are awaited up to {SETTLE:g} s after the "
            "load, when the generator also gives up on webhooks not yet acknowledged. Each "
            "reply (a Flex menu, through the reply token) is matched to its webhook by the token."
        ),
        columns=LADDER_COLUMNS,
        rows=rows,
        notes=[
            *notes,
            "Latencies run from when the webhook was due: `ack p99` to its 200, `reply p50/p99` "
            "to when the fake received the reply with its token; "
            f"`> {seconds(SETTLE)}`: not within the wait, or never.",
            "Backlog = webhooks due and not yet answered (by reply or push); in the bot they "
            "wait as inbox rows in the database (a restart resumes them). `replies/s during "
            "load` counts replies that arrived before the load ended.",
            f"A reply to an event older than the reply token's life ({TOKEN_LIFE:g} s) goes by "
            f"push instead, counted apart; {pushes}, so what is still waiting at the end goes "
            "by push later, unseen here.",
            "`answered twice` = answers (replies and pushes) beyond one per webhook, counted "
            "per person; any fails the benchmark.",
            *_setting_notes(runs),
        ],
    )


def _setting_notes(runs: list[Run]) -> list[str]:
    cpus = usable_cpus()
    generator = ", ".join(map(str, cpus[1:])) or f"{cpus[0]} too (only one CPU)"
    throttled = sum(run.throttled for run in runs)
    return [
        f"Server on CPU {cpus[0]}; load generator (raw keep-alive HTTP/1.1, bench/load.py) and "
        f"the fake LINE API (bench/peers/line_api.py, uvloop) on CPU {generator}. The fake "
        f"answered {throttled:,} requests with LINE's 429 (rate limit).",
    ]


# --- the closed loop against the echo example -------------------------------------------------

YARDSTICK_COLUMNS = [
    "server",
    "acknowledged/s",
    "replies/s by end of load",
    f"replies/s with {DRAIN:g} s drain",
    "rounds (replies/s with drain)",
    "reply request",
    "server core busy",
    "load core busy",
    "answered twice",
]


def _acknowledged_rate(run: Run) -> float:
    return run.acknowledged / run.length


def _reply_rate(run: Run) -> float:
    return run.replied_by(run.stopped) / run.length


def _drained_rate(run: Run) -> float:
    """Replies per second of load, counting those that came in the drain after it too."""
    return run.replied_by(run.stopped + DRAIN) / run.length


RATES_OF_A_RUN = (_acknowledged_rate, _reply_rate, _drained_rate)


def _yardstick_row(server: Server, runs: list[Run]) -> tuple[list[str], Run]:
    """The median round (by replies/s with the drain) stands for the server; the row and it."""
    run = median_run(runs, key=_drained_rate)
    return [
        server.name,
        *(rate(figure(run)) for figure in RATES_OF_A_RUN),
        ", ".join(rate(_drained_rate(each)) for each in runs),
        f"{statistics.fmean(run.sizes):,.0f} B" if run.sizes else "—",
        f"{run.busy[0]:.0%}",
        f"{run.busy[1]:.0%}",
        f"{run.twice:,}",
    ], run


def _ratio(bot: float, echo: float) -> str:
    return f"{bot / echo:.2f}" if echo else "—"


def _yardstick_table(kind: str, by_server: dict[Server, list[Run]]) -> Table:
    (bot, bot_run), (echo, echo_run) = (
        _yardstick_row(server, runs) for server, runs in by_server.items()
    )
    ratios = [_ratio(figure(bot_run), figure(echo_run)) for figure in RATES_OF_A_RUN]
    return Table(
        title="End to end, closed loop: citybot serve next to LINE's echo example",
        method=(
            f"The same signed `/help` webhooks from {MEMBERS:,} people over {CONNECTIONS} "
            "connections, each sending as soon as its last webhook is acknowledged, for "
            f"{SECONDS:g} s; {ROUNDS} rounds alternating between `citybot serve` on {kind} "
            "(every loop on; a fresh database each round) and LINE's aiohttp echo example as "
            "the SDK shows it (bench/peers/line_echo.py: `WebhookParser`, then "
            "`AsyncMessagingApi.reply_message` awaited before the 200, nothing stored, "
            "`web.run_app` on the default asyncio loop), each pinned to the same core, against "
            "the same fake LINE API in its own process. The round with the median replies/s "
            f"(drain included) is shown. `replies/s with {DRAIN:g} s drain` counts the replies "
            f"that came by {DRAIN:g} s after the load, per second of load."
        ),
        columns=YARDSTICK_COLUMNS,
        rows=[bot, echo, ["bot ÷ echo", *ratios, "", "", "", "", ""]],
        notes=[
            f"Replies/s: citybot serve {rate(_reply_rate(bot_run))} by the end of the load, "
            f"{rate(_drained_rate(bot_run))} with the drain; the echo example "
            f"{rate(_reply_rate(echo_run))} and {rate(_drained_rate(echo_run))}: a ratio "
            f"(bot/echo) of {ratios[1]} and {ratios[2]}.",
            "The echo answers with one text message (a small reply request), the bot with a "
            "Flex menu (`reply request` = its body): more to build, render and send per reply.",
            "The echo acknowledges only after its reply, so its acknowledged/s are its "
            "replies/s, and a webhook it has no time for waits in the socket; the bot "
            "acknowledges once the event is in its inbox and replies from there, so "
            "acknowledged/s above replies/s is backlog kept in the database.",
            "Core busy = CPU time over the load's wall time: of the server process (on its "
            "core), and of the load generator and the fake together (on theirs). A server "
            "under 100 % waits, or shares its core with the machine's other work; a load core "
            "near 100 % would mean the harness, not the server, sets the pace.",
        ],
    )


# --- the benchmark ------------------------------------------------------------------------------


def run() -> list[Table]:
    """The ladder on each database, then the closed loop next to the echo example."""
    notes: list[str] = []
    kinds = list(measurable_kinds(notes))
    cpus = usable_cpus()
    server_cpu, load_cpus = cpus[0], cpus[1:] or cpus
    numbers = itertools.count(1)
    with pinned(load_cpus), fake_line_api(load_cpus[0]) as fake:
        fake.add_profiles({_member(n): {"displayName": f"สมาชิก {n}"} for n in range(MEMBERS)})
        ladder = [
            (kind, offered, _measure(Server(kind), Load(offered), fake, next(numbers), server_cpu))
            for kind in kinds
            for offered in RATES
        ]
        kind = kinds[-1]  # PostgreSQL, as in production, when the machine has it
        by_server: dict[Server, list[Run]] = {Server(kind): [], Server(None): []}
        for _ in range(ROUNDS):
            for server, runs in by_server.items():
                runs.append(_measure(server, Load(), fake, next(numbers), server_cpu))
    runs = [each for _, _, each in ladder] + [each for runs in by_server.values() for each in runs]
    tables = [
        _ladder_table([_ladder_row(*rung) for rung in ladder], runs, notes),
        _yardstick_table(kind, by_server),
    ]
    if any(each.twice for each in runs):
        report = "\n".join(table.markdown() for table in tables)
        raise RuntimeError(f"someone was answered more often than they wrote:\n{report}")
    return tables


if __name__ == "__main__":
    print("\n".join(table.markdown() for table in run()))
