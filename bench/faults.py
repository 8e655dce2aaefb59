"""Faults: `citybot serve` killed with SIGKILL under load, and signed bodies mangled at random.

Two ways the promise "nothing is lost, nothing crashes" is tested from outside:
- kill -9: the chaos run of the tests (tests/chaos.py) with more rounds, on PostgreSQL (SQLite
  when no server answers): what was acknowledged, lost, answered twice, and how long the
  restarted process took to answer the backlog the killed one left;
- fuzzed bodies: valid LINE and Telegram webhook bodies mutated at random (plain seeded byte
  edits, no Hypothesis), signed or carrying the secret as the platform would, posted to the web
  app; what came back (a 5xx makes the platform redeliver the body for ever), and whether a
  valid event is still taken afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import statistics
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.broadcast import seeded
from bench.databases import empty_database, postgres_problem
from bench.report import Table, seconds
from bot.core.clock import SystemClock
from bot.settings import Settings
from tests.channels.line.conftest import line_settings
from tests.channels.telegram.conftest import SECRET as TELEGRAM_SECRET
from tests.channels.telegram.conftest import telegram_settings
from tests.chaos import Plan, Report, shake
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import LineEvents, body, sign, user_id
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.telegram_updates import TgUser, Updates
from tests.serving import web_client

KILLS = 5
SEED = 11
FUZZED_BODIES = 300  # per channel
# Pieces a mutation may splice in: what breaks parsers (nesting, huge numbers, wrong types).
NASTY = ("{", "}", "[", "]", '"', ",", ":", "null", "true", "-1", "1e999", "9" * 30, "\\u0000")


def _mutated(document: bytes, rng: random.Random) -> bytes:
    """`document` after one to three random edits: replace, delete, repeat or splice in."""
    text = document.decode()
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        match rng.randrange(5):
            case 0:
                text = text[:at] + chr(rng.randrange(32, 0x2FF)) + text[at + 1 :]
            case 1:
                text = text[:at] + text[at + rng.randint(1, 40) :]
            case 2:
                text = text[:at] + text[at : at + rng.randint(1, 40)] * 2 + text[at:]
            case 3:
                text = text[:at] + rng.choice(NASTY) + text[at:]
            case _:
                depth = rng.choice((10, 1_000, 5_000))
                text = text[:at] + "[" * depth + "]" * depth + text[at:]
    return text.encode(errors="surrogatepass")


async def _fuzz(rng: random.Random) -> list[list[str]]:
    """Post mutated bodies of each channel to the web app; one row per channel."""
    line_api, telegram_api = FakeLineApi(), FakeTelegramApi()
    logging.disable(logging.CRITICAL)  # a line for every refused body would bury the report
    await line_api.start()
    await telegram_api.start()
    try:
        with tempfile.TemporaryDirectory(prefix="citybot-fuzz-") as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'fuzz.db'}"
            await asyncio.to_thread(seeded, url)
            settings = Settings(  # type: ignore[call-arg]  # pydantic-settings' own argument
                _env_file=None,
                database_url=url,
                **line_settings(line_api),
                **telegram_settings(telegram_api),
            )
            async with web_client(settings, raise_app_exceptions=False) as client:
                line_events, updates = LineEvents(SystemClock()), Updates()

                async def post_line(raw: bytes) -> int:
                    headers = {"X-Line-Signature": sign(raw), "Content-Type": "application/json"}
                    response = await client.post("/webhooks/line", content=raw, headers=headers)
                    return response.status_code

                async def post_telegram(raw: bytes) -> int:
                    headers = {
                        "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
                        "Content-Type": "application/json",
                    }
                    response = await client.post(
                        "/webhooks/telegram", content=raw, headers=headers
                    )
                    return response.status_code

                def line_body() -> bytes:
                    return body(line_events.text(user_id(), "/help"))

                def telegram_body() -> bytes:
                    user = TgUser(id=rng.randrange(10**6, 10**9), first_name="ฟัซ")
                    return json.dumps(updates.text(user, "/help"), ensure_ascii=False).encode()

                return [
                    await _fuzz_channel("LINE", line_body, post_line, rng),
                    await _fuzz_channel("Telegram", telegram_body, post_telegram, rng),
                ]
    finally:
        await line_api.stop()
        await telegram_api.stop()
        logging.disable(logging.NOTSET)


async def _fuzz_channel(
    name: str,
    valid: Callable[[], bytes],
    post: Callable[[bytes], Awaitable[int]],
    rng: random.Random,
) -> list[str]:
    """One channel's fuzz row: bodies sent, by status class, and a valid event afterwards."""
    classes: Counter[str] = Counter()
    for _ in range(FUZZED_BODIES):
        classes[f"{await post(_mutated(valid(), rng)) // 100}xx"] += 1
    after = await post(valid())
    return [
        f"fuzzed {name} bodies",
        f"{FUZZED_BODIES:,}",
        f"{classes['2xx']:,}",
        f"{classes['4xx']:,}",
        f"{classes['5xx']:,}",
        "—",
        "—",
        f"valid event afterwards: {after}",
    ]


def _left(report: Report) -> str:
    """What recovery left unsettled, e.g. `inbound_events.processing 3`."""
    return ", ".join(f"{state} {count}" for state, count in sorted(report.left.items()))


def _kill_row(kind: str, report: Report) -> list[str]:
    statuses = report.statuses
    refused = sum(n for status, n in statuses.items() if not status.isdigit())
    recovery = [span for span in report.recovery if span is not None]
    unfinished = len(report.recovery) - len(recovery)
    return [
        f"kill -9 × {len(report.kills)} ({kind})",
        f"{report.acknowledged + report.unacknowledged:,} events "
        f"in {sum(statuses.values()):,} posts",
        f"{report.acknowledged:,}",
        f"{sum(n for s, n in statuses.items() if s.startswith('4')):,}",
        f"{sum(n for s, n in statuses.items() if s.startswith('5')):,} (+{refused} refused)",
        f"{len(report.lost):,}" + (f" (left: {_left(report)})" if report.left else ""),
        f"{report.duplicates} (in flight at the kills: {report.in_flight})",
        (
            f"median {seconds(statistics.median(recovery))}, max {seconds(max(recovery))}"
            if recovery
            else "—"
        )
        + (f"; {unfinished} of {len(report.recovery)} never finished" if unfinished else ""),
    ]


def run() -> Table:
    """The kill -9 rounds on PostgreSQL (SQLite without a server), then the fuzz rounds."""
    problem = postgres_problem()
    kind = "sqlite" if problem else "postgres"
    plan = Plan(kills=KILLS, seed=SEED)
    with empty_database(kind) as url, tempfile.TemporaryDirectory() as directory:
        seeded(url)
        report = shake(url, Path(directory), plan)
    rows = [_kill_row(kind, report), *asyncio.run(_fuzz(random.Random(SEED)))]
    return Table(
        title="Faults: kill -9 under load, fuzzed bodies",
        method=(
            f"kill -9: `citybot serve` on {kind} takes signed LINE webhooks (`/help`, one "
            f"person each, {plan.rate:.0f}/s, the fake LINE API answering sends in "
            f"{plan.latency * 1000:.0f} ms) and is SIGKILLed {KILLS} times at seeded random "
            f"moments ({plan.gap[0]:.0f}–{plan.gap[1]:.0f} s apart), restarted at once on its "
            "port; webhooks not acknowledged are redelivered as LINE would, then the run waits "
            "for every answer (tests/chaos.py). Fuzzed bodies: valid webhook bodies with one to "
            "three random edits (replace, delete, repeat, splice in a token or deep nesting), "
            f"seed {SEED}, correctly signed, {FUZZED_BODIES} per channel, posted to the web app "
            "in process."
        ),
        columns=[
            "fault",
            "sent",
            "acknowledged (2xx)",
            "4xx",
            "5xx",
            "lost",
            "duplicated",
            "recovery after restart",
        ],
        rows=rows,
        notes=[
            "Lost = acknowledged and never answered; duplicated = answers beyond one per event, "
            "at most the outbox messages the killed process held (LINE: a retried reply with "
            "its spent token is refused, a push with its retry key gets 409).",
            "Recovery = from the restarted process answering `/healthz` to the last event "
            "acknowledged before the kill being answered.",
            f"The server's outbox lease is {plan.lease_seconds:.0f} s here "
            "(CITYBOT_OUTBOX_LEASE_SECONDS; 15 s by default).",
            "A 5xx to a signed body makes the platform redeliver it: it should stay 0.",
        ],
    )
