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

import itertools
import math
import statistics
from collections.abc import Sequence

from bench.databases import measurable_kinds
from bench.load import median_run, nearest_rank
from bench.peers.line_api import fake_line_api
from bench.reply_runs import (
    CONNECTIONS,
    DRAIN,
    MEMBERS,
    SECONDS,
    SETTLE,
    Load,
    Run,
    Server,
    measure,
    setting,
)
from bench.report import Table, rate, seconds
from bench.servers import pinned, usable_cpus

RATES = tuple(float(offered) for offered in setting("RATES", "100,500,1000").split(","))
ROUNDS = int(setting("ROUNDS", "3"))  # closed loop: runs against each server, alternating
TOKEN_LIFE = 25.0  # seconds: the bot pushes instead of replying to older events (its default)


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


# What profiling the server found (CITYBOT_BENCH_PROFILE=<file>: cProfile of the server process,
# read with `python -m pstats`), written down where the figures it explains are printed.
PROFILE_NOTES = [
    "Profile, before issue 17 (py-spy and cProfile of the server at 150–400/s): 60–90 replies/s "
    "with the core at 100 %. Each event took five transactions of its own (claim, handle, "
    "outbox claim, send's settle, profile look-up), with connections checked out and in "
    "each time; on SQLite the inbox's 16 concurrent chats, the outbox's settles and the "
    "webhooks' commits fought for the one write lock and slept in SQLite's busy handler; "
    "the LINE SDK turned each Flex menu into pydantic models and back (about 0.6 ms a reply), "
    "checked every call's arguments twice, and aiohttp read the proxy variables and ~/.netrc "
    "on every request; a new sender's profile was fetched from LINE before the answer; the "
    "claim sorted the whole backlog; `dataclasses.asdict` deep-copied every reply.",
    "Profile, now (cProfile of the server, closed loop on PostgreSQL): SQLAlchemy 34 % and "
    "asyncpg 7 % (loading the batch's accounts, chats, members and flow steps as ORM rows, "
    "and compiling and running its statements), bot/core 12 % (dispatch, routing, replies as "
    "data), aiohttp and the LINE SDK 14 % (one POST of 6.9 kB per reply), JSON 4 %, "
    "uvicorn and Starlette 3 % (the webhooks), handlers 2 % (the menu itself). What is left "
    "is spread thin: the next step is fewer ORM rows per event (an identity cache across "
    "batches, kept correct by the writes that change it).",
]


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
            "Backlog = webhooks due and not yet answered (by reply or push): the acknowledged "
            "ones wait as inbox rows in the bot's database (a restart resumes them), the others "
            "at the sender (LINE would give up on them and, with redelivery on, send them "
            "again). `server:` the most /readyz reported pending, when it reports a backlog. "
            "`replies/s during load` counts replies that arrived before the load ended.",
            f"A reply to an event older than the reply token's life ({TOKEN_LIFE:g} s) goes by "
            f"push instead, counted apart; {pushes}, so what is still waiting at the end goes "
            "by push later, unseen here.",
            "`answered twice` = answers (replies and pushes) beyond one per webhook, counted "
            "per person; any fails the benchmark.",
            *_setting_notes(runs),
            *PROFILE_NOTES,
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


def _yardstick_table(kinds: list[str], by_server: dict[Server, list[Run]]) -> Table:
    echo, echo_run = _yardstick_row(Server(None), by_server[Server(None)])
    rows: list[list[str]] = []
    said: list[str] = []
    for kind in kinds:
        bot, bot_run = _yardstick_row(Server(kind), by_server[Server(kind)])
        ratios = [_ratio(figure(bot_run), figure(echo_run)) for figure in RATES_OF_A_RUN]
        rows += [bot, [f"bot on {kind} ÷ echo", *ratios, "", "", "", "", ""]]
        said.append(
            f"citybot serve on {kind} {rate(_reply_rate(bot_run))} by the end of the load and "
            f"{rate(_drained_rate(bot_run))} with the drain (bot/echo {ratios[1]} and "
            f"{ratios[2]})"
        )
    return Table(
        title="End to end, closed loop: citybot serve next to LINE's echo example",
        method=(
            f"The same signed `/help` webhooks from {MEMBERS:,} people over {CONNECTIONS} "
            "connections, each sending as soon as its last webhook is acknowledged, for "
            f"{SECONDS:g} s; {ROUNDS} rounds alternating between `citybot serve` on "
            f"{' and on '.join(kinds)} (every loop on; a fresh database each round) and LINE's "
            "aiohttp echo example as "
            "the SDK shows it (bench/peers/line_echo.py: `WebhookParser`, then "
            "`AsyncMessagingApi.reply_message` awaited before the 200, nothing stored, "
            "`web.run_app` on the default asyncio loop), each pinned to the same core, against "
            "the same fake LINE API in its own process. The round with the median replies/s "
            f"(drain included) is shown. `replies/s with {DRAIN:g} s drain` counts the replies "
            f"that came by {DRAIN:g} s after the load, per second of load."
        ),
        columns=YARDSTICK_COLUMNS,
        rows=[*rows, echo],
        notes=[
            f"Replies/s: {'; '.join(said)}; the echo example {rate(_reply_rate(echo_run))} "
            f"and {rate(_drained_rate(echo_run))}.",
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
        ladder = [
            (kind, offered, measure(Server(kind), Load(offered), fake, next(numbers), server_cpu))
            for kind in kinds
            for offered in RATES
        ]
        by_server: dict[Server, list[Run]] = {
            **{Server(kind): [] for kind in kinds},
            Server(None): [],
        }
        for _ in range(ROUNDS):
            for server, runs in by_server.items():
                runs.append(measure(server, Load(), fake, next(numbers), server_cpu))
    runs = [each for _, _, each in ladder] + [each for runs in by_server.values() for each in runs]
    tables = [
        _ladder_table([_ladder_row(*rung) for rung in ladder], runs, notes),
        _yardstick_table(kinds, by_server),
    ]
    if any(each.twice for each in runs):
        report = "\n".join(table.markdown() for table in tables)
        raise RuntimeError(f"someone was answered more often than they wrote:\n{report}")
    return tables


if __name__ == "__main__":
    print("\n".join(table.markdown() for table in run()))
