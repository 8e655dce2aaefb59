"""A 10,000-person broadcast through the real commands, against fakes that enforce the limits.

The audience is written straight to a fresh database (5,000 members on LINE, 5,000 on Telegram);
`citybot announce send --audience all --yes` queues the announcement and one `citybot worker`
process, pinned to one core, delivers it through the real LINE and Telegram SDKs to the test
fakes, which answer 429 whenever a platform would (Telegram ~30/s overall, LINE 200 multicasts/s).
A second run makes the Telegram fake stricter than the bot is configured for, so every 429 the bot
meets is one it must wait out: what counts there is that nothing is lost, doubled or given up.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bench.databases import empty_database, postgres_problem
from bench.load import usable_cpus
from bench.report import Table, seconds
from bot.settings import DEFAULT_CONTENT_DIR, Settings
from db.enums import Channel, OutboxStatus, Role
from db.migrate import upgrade
from db.models import OutboundMessage
from db.session import create_engine, create_session_factory
from tests.factories import add_members_in_bulk, line, telegram
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import ACCESS_TOKEN, SECRET
from tests.fakes.loopback import Limit, serving_in_thread
from tests.fakes.telegram_api import FakeTelegramApi, TelegramLimits

ROOT = Path(__file__).resolve().parent.parent
CONFIGURED = float(Settings.model_fields["citybot_telegram_per_second"].default)
UNSETTLED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class Scenario:
    """Who is in the audience and how strict the fake Telegram is."""

    name: str
    line_people: int
    telegram_people: int
    telegram_platform: TelegramLimits


@dataclass(frozen=True)
class Outcome:
    """What one broadcast measured."""

    enqueue: float
    line_requests: Counter[int]  # by status
    line_done: float  # from the end of enqueueing to the last LINE row settled
    line_reached: Counter[str]
    telegram_sent: list[float]  # monotonic times of accepted sends
    telegram_reached: Counter[str]
    telegram_429: int
    rows: Counter[OutboxStatus]
    total: float
    idle_kib: int
    peak_kib: int


SCENARIOS = (
    Scenario("10,000 people, platform limits", 5_000, 5_000, TelegramLimits()),
    Scenario(
        "1,000 on Telegram, platform at 20/s (stricter than configured)",
        0,
        1_000,
        TelegramLimits(overall=Limit(burst=20, per_second=20)),
    ),
)


def seeded(url: str) -> None:
    """Migrate the database at `url` to head and load content/ (no demo members)."""
    from bot.seeding import run_seed

    upgrade(url)
    asyncio.run(
        run_seed(
            database_url=url,
            content_dir=DEFAULT_CONTENT_DIR,
            materials_base_url=Settings.model_fields["citybot_materials_base_url"].default,
            demo=False,
        )
    )


def _audience(url: str, scenario: Scenario) -> None:
    """The members, written in bulk (each on one platform) to a seeded database."""

    async def write() -> None:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                line_accounts = [line(f"{n:x}") for n in range(scenario.line_people)]
                telegram_accounts = [
                    telegram(str(10_000_000 + n)) for n in range(scenario.telegram_people)
                ]
                await add_members_in_bulk(session, "khon-kaen", Role.OFFICER, line_accounts)
                await add_members_in_bulk(session, "phuket", Role.OFFICER, telegram_accounts)
        finally:
            await engine.dispose()

    seeded(url)
    asyncio.run(write())


def _rows(url: str) -> Counter[tuple[Channel, OutboxStatus]]:
    async def read() -> Counter[tuple[Channel, OutboxStatus]]:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                found = await session.execute(
                    select(OutboundMessage.channel, OutboundMessage.status, func.count()).group_by(
                        OutboundMessage.channel, OutboundMessage.status
                    )
                )
                return Counter({(channel, status): count for channel, status, count in found})
        finally:
            await engine.dispose()

    return asyncio.run(read())


def memory_kib(pid: int) -> tuple[int, int]:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in KiB."""
    fields: dict[str, int] = {}
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = row.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            fields[name] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def platform_env(
    url: str, line_api: FakeLineApi, telegram_api: FakeTelegramApi, **more: str
) -> dict[str, str]:
    """This process's environment for a production `citybot` on `url` with both fakes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "LINE_"))}
    return env | {
        "DATABASE_URL": url,
        "CITYBOT_ENV": "production",
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": line_api.base_url,
        "LINE_DATA_API_BASE_URL": line_api.base_url,
        "TELEGRAM_BOT_TOKEN": telegram_api.token,
        "TELEGRAM_API_BASE_URL": telegram_api.base_url,
        "TELEGRAM_WEBHOOK_SECRET": "bench-webhook-secret",
        "TELEGRAM_BOT_USERNAME": telegram_api.username,
        **more,
    }


def _citybot(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603  # our own interpreter and fixed arguments
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def _broadcast(url: str, scenario: Scenario, worker_cpu: int | None) -> Outcome:
    line_api = FakeLineApi()
    telegram_api = FakeTelegramApi(limits=scenario.telegram_platform)
    with serving_in_thread(line_api, telegram_api):
        env = platform_env(url, line_api, telegram_api, CITYBOT_LOG_LEVEL="WARNING")
        worker = _citybot(env, "worker")
        try:
            if worker_cpu is not None:
                os.sched_setaffinity(worker.pid, {worker_cpu})
            time.sleep(3)  # started and idle
            idle_kib, _ = memory_kib(worker.pid)
            started = time.perf_counter()
            text = "ประกาศ: การประชุมเชิงปฏิบัติการเมืองอัจฉริยะ ครั้งที่ 2 เลื่อนเป็นวันพฤหัสบดี"
            send = _citybot(env, "announce", "send", "--audience", "all", "--text", text, "--yes")
            output, _ = send.communicate(timeout=300)
            if send.returncode != 0:
                raise RuntimeError(f"announce send failed: {output.decode()}")
            enqueued = time.perf_counter()
            line_done = _wait_until_settled(url, worker, enqueued, scenario)
            finished = time.perf_counter()
            _, peak_kib = memory_kib(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    statuses: Counter[OutboxStatus] = Counter()
    for (_, status), count in _rows(url).items():
        statuses[status] += count
    return Outcome(
        enqueue=enqueued - started,
        line_requests=Counter(request.status for request in line_api.calls("multicast")),
        line_done=line_done,
        line_reached=Counter(
            user for request in line_api.accepted("multicast") for user in request.json["to"]
        ),
        telegram_sent=[call.at for call in telegram_api.delivered()],
        telegram_reached=Counter(str(call.params["chat_id"]) for call in telegram_api.delivered()),
        telegram_429=telegram_api.throttled,
        rows=statuses,
        total=finished - enqueued,
        idle_kib=idle_kib,
        peak_kib=peak_kib,
    )


def _wait_until_settled(
    url: str, worker: subprocess.Popen[bytes], since: float, scenario: Scenario
) -> float:
    """Poll until no row waits; seconds from `since` until the LINE rows had all settled."""
    deadline = since + 120 + 3 * scenario.telegram_people / CONFIGURED
    line_done = 0.0
    while time.perf_counter() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker stopped with {worker.returncode}")
        rows = _rows(url)
        waiting = {channel for (channel, status), count in rows.items() if status in UNSETTLED}
        if Channel.LINE not in waiting and not line_done:
            line_done = time.perf_counter() - since
        if not waiting:
            return line_done
        time.sleep(0.25)
    raise RuntimeError("the broadcast did not finish in time")


def _row(scenario: Scenario, outcome: Outcome) -> list[str]:
    sent = outcome.telegram_sent
    achieved = (len(sent) - 1) / (sent[-1] - sent[0]) if len(sent) > 1 else 0.0
    platform = scenario.telegram_platform.overall.per_second
    doubled = sum(n - 1 for n in outcome.line_reached.values()) + sum(
        n - 1 for n in outcome.telegram_reached.values()
    )
    line_cell = "—"
    if scenario.line_people:
        line_cell = (
            f"{outcome.line_requests[200]} multicasts ({outcome.line_requests[429]}× 429), "
            f"{len(outcome.line_reached):,} people in {seconds(outcome.line_done)}"
        )
    return [
        scenario.name,
        seconds(outcome.enqueue),
        line_cell,
        f"{len(outcome.telegram_reached):,} in {seconds(sent[-1] - sent[0])}",
        f"{achieved:.1f}/s = {achieved / CONFIGURED:.0%} of {CONFIGURED:g}/s configured, "
        f"{achieved / platform:.0%} of the platform's {platform:g}/s",
        str(outcome.telegram_429),
        f"{outcome.rows[OutboxStatus.SENT]:,} sent, {outcome.rows[OutboxStatus.DEAD]} dead, "
        f"{outcome.rows[OutboxStatus.FAILED]} failed, {doubled} doubled",
        f"{outcome.idle_kib / 1024:.0f} → {outcome.peak_kib / 1024:.0f} MiB",
        seconds(outcome.total),
    ]


def run() -> Table:
    """Each scenario on a fresh PostgreSQL database (SQLite when no server answers)."""
    problem = postgres_problem()
    kind = "sqlite" if problem else "postgres"
    cpus = usable_cpus()
    worker_cpu = cpus[-1] if len(cpus) > 1 else None
    rows: list[list[str]] = []
    for scenario in SCENARIOS:
        with empty_database(kind) as url:
            _audience(url, scenario)
            outcome = _broadcast(url, scenario, worker_cpu)
        expected = scenario.line_people + scenario.telegram_people
        reached = len(outcome.line_reached) + len(outcome.telegram_reached)
        if reached != expected:
            raise RuntimeError(f"{scenario.name}: reached {reached} of {expected}")
        rows.append(_row(scenario, outcome))
    notes = [
        f"Database: {kind}" + (f" (PostgreSQL unreachable: {problem})" if problem else "") + ".",
        "Enqueue = wall time of `citybot announce send --audience all --text … --yes`, "
        "start-up included: audience resolution and every outbox row in one transaction.",
        "LINE: one multicast per 500 people, each with its X-Line-Retry-Key; time is from the "
        "end of enqueueing (the worker looks for new rows every 2 s when idle).",
        "Telegram rate = accepted sends between the first and the last, as the fake saw them.",
        "Memory is the worker process's resident set: idle after start, and its peak (VmHWM).",
    ]
    pinned = f" pinned to CPU {worker_cpu}" if worker_cpu is not None else ""
    return Table(
        title="Broadcast to 10,000 people",
        method=(
            "Members written in bulk to a fresh database; `citybot announce send` queues; one "
            f"`citybot worker` process{pinned} "
            "delivers through the real SDKs to the loopback fakes of the tests, which enforce "
            "the platforms' rate limits with 429s (Telegram: 30/s overall with `retry_after`; "
            "LINE: 200 multicasts/s, at most 500 ids each, retry key seen before → 409). "
            f"The bot runs at its defaults ({CONFIGURED:g}/s on Telegram)."
        ),
        columns=[
            "broadcast",
            "enqueue",
            "LINE",
            "Telegram delivered",
            "Telegram rate",
            "Telegram 429s",
            "outbox rows",
            "worker memory",
            "to deliver all",
        ],
        rows=rows,
        notes=notes,
    )
