"""Kill -9 under load: signed LINE webhooks stream into `citybot serve`, which is SIGKILLed and
restarted at random moments; afterwards, what came of every event the bot acknowledged.

Used by the chaos test (tests/test_chaos.py) and the benchmark's "faults" section
(bench/faults.py). The fake LINE API runs in this process, in a thread; the server is the real
console script in a subprocess, restarted on the same port. Webhooks LINE never saw
acknowledged (the server was down or died before answering) are redelivered as LINE would, with
the same event id, until acknowledged. An answer is a reply with the event's token or a push to
its sender (each event comes from a person of its own), matched at the fake.
"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import SystemClock
from bot.delivery.worker import DEFAULT_LEASE
from db.enums import Channel, InboxStatus, OutboxStatus
from db.models import InboundEvent, OutboundMessage
from db.repositories import outbox as outbox_repo
from db.session import create_engine
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import ACCESS_TOKEN, SECRET, LineEvents, body, sign, user_id
from tests.fakes.loopback import serving_in_thread
from tests.serving import CITYBOT, Server, clean_env, free_port, wait_until_healthy

STARTUP_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Plan:
    """How hard to shake: kills, the gaps before them, the webhook rate, the outbox lease."""

    kills: int = 3
    seed: int = 11
    gap: tuple[float, float] = (1.0, 3.0)  # seconds of serving before each kill, drawn uniformly
    rate: float = 20.0  # webhooks a second
    lease_seconds: float = 2.0  # CITYBOT_OUTBOX_LEASE_SECONDS of the server
    latency: float = 0.3  # seconds LINE takes to answer a send: sends are in flight at a kill
    drain_seconds: float = 45.0  # the longest wait for the last answers after the last restart


@dataclass(frozen=True, slots=True)
class Kill:
    """One SIGKILL: when, what the dead process held in the outbox, when the new one answered."""

    at: float
    in_flight: int
    restarted: float


@dataclass
class Report:
    """What came of the run: acknowledged events, their answers, the kills."""

    acknowledged: int
    unacknowledged: int  # still refused when the redeliveries gave up
    lost: list[str]
    duplicated: dict[str, int]  # event id → answers beyond the first
    kills: list[Kill]
    recovery: list[float | None]  # per kill: seconds from the restart to its backlog answered
    statuses: Counter[str]  # how the webhook posts ended ("200", "503", "refused", …)
    drained: bool
    left: Counter[str]  # rows still unsettled at the end, by table and status

    @property
    def in_flight(self) -> int:
        """Outbox messages the killed processes held: the most that may arrive twice."""
        return sum(kill.in_flight for kill in self.kills)

    @property
    def duplicates(self) -> int:
        """Answers beyond one per event."""
        return sum(self.duplicated.values())


@dataclass
class _Event:
    """One webhook event as LINE would post (and redeliver) it."""

    event: dict[str, Any]
    acknowledged_at: float | None = None

    @property
    def id(self) -> str:
        return str(self.event["webhookEventId"])

    @property
    def user(self) -> str:
        return str(self.event["source"]["userId"])

    @property
    def token(self) -> str:
        return str(self.event["replyToken"])


@dataclass
class _Stream:
    """Posts one `/help` a person at a steady rate from a thread; redelivers the unacknowledged."""

    url: str
    rate: float
    events: list[_Event] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Start streaming new events."""
        self._thread = threading.Thread(target=self._run, name="chaos-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop streaming new events."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def redeliver(self, deadline: float) -> None:
        """Post every unacknowledged event again (marked redelivery) until each is taken."""
        with httpx.Client(timeout=3.0) as client:
            while time.monotonic() < deadline:
                waiting = [e for e in self.events if e.acknowledged_at is None]
                if not waiting:
                    return
                for event in waiting:
                    event.event["deliveryContext"] = {"isRedelivery": True}
                    self._post(client, event)
                time.sleep(0.2)

    def _run(self) -> None:
        events = LineEvents(SystemClock())
        with httpx.Client(timeout=3.0) as client:
            due = time.monotonic()
            while not self._stop.is_set():
                event = _Event(events.text(user_id(), "/help"))
                self.events.append(event)
                self._post(client, event)
                due += 1 / self.rate
                time.sleep(max(due - time.monotonic(), 0.0))

    def _post(self, client: httpx.Client, event: _Event) -> None:
        raw = body(event.event)
        headers = {"X-Line-Signature": sign(raw), "Content-Type": "application/json"}
        try:
            response = client.post(f"{self.url}/webhooks/line", content=raw, headers=headers)
        except httpx.TransportError as error:  # down, or killed before it answered
            self.statuses[type(error).__name__] += 1
            return
        self.statuses[str(response.status_code)] += 1
        if response.status_code == 200:
            event.acknowledged_at = time.monotonic()


class _Serve:
    """`citybot serve` on one port, killed and started again there."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.server = Server(f"http://127.0.0.1:{free_port()}", cwd / "serve.log")
        self._env = env
        self._cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start it and wait until it answers; when it did (monotonic seconds)."""
        port = self.server.base_url.rsplit(":", 1)[1]
        with self.server.log.open("a") as log:
            self._process = subprocess.Popen(  # noqa: S603  # our own console script
                [CITYBOT, "serve", "--port", port],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env,
                cwd=self._cwd,
            )
        wait_until_healthy(self.server, self._process, STARTUP_SECONDS)
        return time.monotonic()

    def kill(self) -> float:
        """SIGKILL: no shutdown, no last commit; when (monotonic seconds)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        at = time.monotonic()
        self._process.wait(timeout=10)
        return at

    def stop(self) -> int | None:
        """SIGTERM, as an operator stops it; its exit code."""
        if self._process is None or self._process.poll() is not None:
            return None
        self._process.terminate()
        return self._process.wait(timeout=20)


async def claimed_then_killed(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    channels: Sequence[Channel] | None = None,
) -> list[OutboundMessage]:
    """What a worker killed mid-send leaves: the due messages claimed under the default lease."""
    async with sessions() as session, session.begin():
        return await outbox_repo.claim_due(
            session=session,
            now=now,
            lease_until=now + DEFAULT_LEASE,
            limit=100,
            channels=channels,
        )


def _unsettled(url: str) -> Counter[str]:
    """Inbox events and outbox messages not settled yet, by table and status.

    Right after a kill, the outbox's `sending` rows are what the dead process may have had in
    flight; after the drain, anything here is what recovery left behind.
    """

    async def count() -> Counter[str]:
        engine = create_engine(url)
        found: Counter[str] = Counter()
        try:
            async with engine.connect() as connection:
                for model, states in (
                    (InboundEvent, (InboxStatus.PENDING, InboxStatus.PROCESSING)),
                    (OutboundMessage, (OutboxStatus.PENDING, OutboxStatus.SENDING)),
                ):
                    rows = await connection.execute(
                        select(model.status, func.count())
                        .where(model.status.in_(states))
                        .group_by(model.status)
                    )
                    for status, number in rows.all():
                        found[f"{model.__tablename__}.{status.value}"] = int(number)
        finally:
            await engine.dispose()
        return found

    return asyncio.run(count())


def _answers(api: FakeLineApi, events: list[_Event]) -> dict[str, list[float]]:
    """When each acknowledged event was answered (reply by token, or push to its sender)."""
    by_token = {event.token: event.id for event in events}
    by_user = {event.user: event.id for event in events}
    answers: dict[str, list[float]] = {e.id: [] for e in events if e.acknowledged_at}
    for request in list(api.requests):
        if not 200 <= request.status < 300 or not isinstance(request.json, dict):
            continue
        if request.endpoint == "reply":
            found = by_token.get(str(request.json.get("replyToken")))
        elif request.endpoint == "push":
            found = by_user.get(str(request.json.get("to")))
        else:
            continue
        if found in answers:
            answers[found].append(request.at)
    return answers


def _recovery(
    kills: list[Kill], events: list[_Event], answers: dict[str, list[float]]
) -> list[float | None]:
    """Per kill: from the restart until every event acknowledged before the kill was answered.

    None when one of them never was.
    """
    spans: list[float | None] = []
    for kill in kills:
        before = [e.id for e in events if e.acknowledged_at and e.acknowledged_at < kill.at]
        if not all(answers[i] for i in before):
            spans.append(None)
            continue
        last = max((min(answers[i]) for i in before), default=kill.restarted)
        spans.append(max(last - kill.restarted, 0.0))
    return spans


def shake(url: str, cwd: Path, plan: Plan = Plan()) -> Report:
    """Stream webhooks into `citybot serve` on `url`, kill it `plan.kills` times; the report."""
    rng = random.Random(plan.seed)  # noqa: S311  # where to kill, not a secret
    api = FakeLineApi(limits=None, delays={"reply": plan.latency, "push": plan.latency})
    with serving_in_thread(api):
        env = clean_env(
            DATABASE_URL=url,
            LINE_CHANNEL_SECRET=SECRET,
            LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
            LINE_API_BASE_URL=api.base_url,
            LINE_DATA_API_BASE_URL=api.base_url,
            CITYBOT_OUTBOX_LEASE_SECONDS=str(plan.lease_seconds),
            CITYBOT_LOG_LEVEL="WARNING",
            PYTHAINLP_OFFLINE="1",
            PYTHAINLP_READ_ONLY="1",
        )
        serve = _Serve(env, cwd)
        serve.start()
        stream = _Stream(serve.server.base_url, plan.rate)
        stream.start()
        kills: list[Kill] = []
        try:
            for _ in range(plan.kills):
                time.sleep(rng.uniform(*plan.gap))
                at = serve.kill()
                in_flight = _unsettled(url)[f"{OutboundMessage.__tablename__}.sending"]
                kills.append(Kill(at=at, in_flight=in_flight, restarted=serve.start()))
            time.sleep(rng.uniform(*plan.gap))
            stream.stop()
            deadline = time.monotonic() + plan.drain_seconds
            stream.redeliver(deadline)
            drained = _wait_for_answers(api, stream.events, deadline)
        finally:
            stream.stop()
            serve.stop()
        answers = _answers(api, stream.events)
    return Report(
        acknowledged=len(answers),
        unacknowledged=len(stream.events) - len(answers),
        lost=sorted(event_id for event_id, times in answers.items() if not times),
        duplicated={i: len(times) - 1 for i, times in answers.items() if len(times) > 1},
        kills=kills,
        recovery=_recovery(kills, stream.events, answers),
        statuses=stream.statuses,
        drained=drained,
        left=_unsettled(url),
    )


def _wait_for_answers(api: FakeLineApi, events: list[_Event], deadline: float) -> bool:
    """Wait until every acknowledged event has an answer; whether they all got one in time."""
    while True:
        if all(_answers(api, events).values()):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
