"""Several `citybot worker` processes on one PostgreSQL: a broadcast survives a killed worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.replies import Text
from bot.core.settling import reply_payload
from db.base import utcnow
from db.enums import Channel, OutboxStatus
from db.models import OutboundMessage
from db.repositories.outbox import Draft, enqueue_many
from tests.conftest import Database
from tests.fakes.telegram_api import FakeTelegramApi

RECIPIENTS = 150
FIRST_CHAT = 7_000_000


def _worker(api: FakeTelegramApi, url: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "LINE_"))}
    env |= {
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_WEBHOOK_SECRET": "worker-test-secret",
        "TELEGRAM_BOT_USERNAME": api.username,
        "CITYBOT_OUTBOX_LEASE_SECONDS": "3",
    }
    return subprocess.Popen(  # our own console script, fixed arguments
        [sys.executable, "-m", "bot", "worker"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _sent(api: FakeTelegramApi) -> Counter[int]:
    """How many messages each chat has received."""
    return Counter(int(call["chat_id"]) for call in api.calls_to("sendMessage"))


async def _wait_for(api: FakeTelegramApi, enough: int, seconds: float) -> Counter[int]:
    for _ in range(int(seconds * 20)):
        sent = _sent(api)
        if len(sent) >= enough:
            return sent
        await asyncio.sleep(0.05)
    return _sent(api)


async def _wait_until_settled(database: Database, seconds: float) -> int:
    """Wait until every message is sent (the dead worker's lease has run out); how many are."""
    settled = 0
    for _ in range(int(seconds * 10)):
        async with database.sessions() as session:
            settled = (
                await session.scalar(
                    select(func.count()).where(OutboundMessage.status == OutboxStatus.SENT)
                )
                or 0
            )
        if settled >= RECIPIENTS:
            break
        await asyncio.sleep(0.1)
    return settled


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_broadcast_survives_a_killed_worker(database: Database, tmp_path: Path) -> None:
    """Three workers share a broadcast; one is killed mid-way; every chat still gets it.

    Only a message the dead worker had in flight may arrive twice (Telegram has no retry key).
    """
    api = FakeTelegramApi()
    await api.start()
    drafts = [
        Draft(
            channel=Channel.TELEGRAM,
            recipients=[str(FIRST_CHAT + n)],
            payload=reply_payload([Text(text=f"📢 ประกาศ {n}")], {}),
            idempotency_key=f"broadcast:{n}",
        )
        for n in range(RECIPIENTS)
    ]
    async with database.sessions() as session, session.begin():
        assert await enqueue_many(session=session, drafts=drafts, now=utcnow()) == RECIPIENTS
    workers = [_worker(api, database.url, tmp_path) for _ in range(3)]
    try:
        started = await _wait_for(api, 20, seconds=30)
        assert len(started) >= 20, "the workers did not start delivering"
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        workers.append(_worker(api, database.url, tmp_path))  # the restart
        settled = await _wait_until_settled(database, seconds=60)
        sent = _sent(api)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=20)
        await api.stop()
    assert set(sent) == {FIRST_CHAT + n for n in range(RECIPIENTS)}
    doubled = sum(count - 1 for count in sent.values())
    assert doubled <= 32  # at most what one worker can have in flight
    assert settled == RECIPIENTS
    assert all(worker.returncode in (0, -signal.SIGKILL) for worker in workers)
