"""A broadcast end to end: `citybot announce send --audience all --yes`, then the running bot.

The bot's workers deliver through the real LINE and Telegram SDKs to fakes that enforce the
platforms' limits, here set tighter than the bot is configured for, so that the 429 path is part
of the run: every member is reached once, on one channel, and no message is lost or doubled.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from bot.app import App
from bot.cli import cli
from bot.settings import Settings
from db.enums import AnnouncementStatus, Channel, Language, OutboxStatus, Role
from db.models import Announcement, OutboundMessage
from tests.factories import (
    Account,
    add_member,
    add_members_in_bulk,
    console,
    in_database,
    line,
    telegram,
)
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import ACCESS_TOKEN, SECRET
from tests.fakes.loopback import Limit
from tests.fakes.telegram_api import TOKEN, FakeTelegramApi, TelegramLimits

LINE_PEOPLE = 520  # more than one multicast can carry (500 user ids)
TELEGRAM_PEOPLE = 60
pytestmark = pytest.mark.usefixtures("isolated_settings")
# Tighter than the bot's configured pace (30/s, and LINE's 200 multicasts/s), so it meets 429s.
TELEGRAM_PLATFORM = TelegramLimits(overall=Limit(burst=5, per_second=20))
LINE_PLATFORM = {"multicast": Limit(burst=1, per_second=1)}


@dataclass(frozen=True)
class Programme:
    """Who should get the announcement, on which channel; the database they are in."""

    url: str
    line_users: frozenset[str]
    telegram_chats: frozenset[str]


@pytest.fixture
def programme(seeded_database_url: str) -> Programme:
    """Hundreds on LINE (Thai, English), dozens on Telegram; linked, blocked, unreachable."""
    line_only = [line(f"{n}") for n in range(LINE_PEOPLE)]
    line_english = [line(f"e{n}") for n in range(3)]
    telegram_only = [telegram(f"{8_000_000 + n}") for n in range(TELEGRAM_PEOPLE)]
    both_last_line = (line("b1"), telegram("9000001"))
    both_last_telegram = (line("b2"), telegram("9000002"))

    async def members(session: Any) -> None:
        await add_members_in_bulk(session, "khon-kaen", Role.OFFICER, line_only)
        await add_members_in_bulk(
            session, "yala", Role.OFFICER, line_english, language=Language.EN
        )
        await add_members_in_bulk(session, "phuket", Role.OFFICER, telegram_only)
        await add_member(
            session, "krabi", Role.EXECUTIVE, both_last_line, last_channel=Channel.LINE
        )
        await add_member(
            session, "krabi", Role.OFFICER, both_last_telegram, last_channel=Channel.TELEGRAM
        )
        await add_member(session, "songkhla", Role.OFFICER, [line("x1", blocked=True)])
        await add_member(session, "songkhla", Role.OFFICER, [telegram("9000003", blocked=True)])
        await add_member(session, "songkhla", Role.OFFICER, [console("only-on-the-console")])

    in_database(seeded_database_url, members)
    return Programme(
        url=seeded_database_url,
        line_users=frozenset(_ids([*line_only, *line_english, both_last_line[0]])),
        telegram_chats=frozenset(_ids([*telegram_only, both_last_telegram[1]])),
    )


def _ids(accounts: list[Account]) -> list[str]:
    return [account.external_id for account in accounts]


def _citybot(url: str, *args: str) -> Result:
    platforms = {
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "TELEGRAM_BOT_TOKEN": TOKEN,
    }
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url, **platforms})


async def _run_the_bot(url: str, line_api: FakeLineApi, telegram_api: FakeTelegramApi) -> None:
    """`citybot serve`'s background work until the announcement is delivered (or 90 s pass)."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        line_channel_secret=SECRET,
        line_channel_access_token=ACCESS_TOKEN,
        line_api_base_url=line_api.base_url,
        line_data_api_base_url=line_api.base_url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=telegram_api.base_url,
        telegram_webhook_secret="broadcast-test-secret",
        telegram_bot_username=telegram_api.username,
        citybot_telegram_per_second=30,
    )
    app = App.create(settings)
    await app.start()
    try:
        for _ in range(900):
            async with app.sessions() as session:
                status = await session.scalar(select(Announcement.status))
            if status is AnnouncementStatus.SENT:
                return
            await asyncio.sleep(0.1)
    finally:
        await app.close()


async def _deliver(url: str) -> tuple[FakeLineApi, FakeTelegramApi]:
    line_api = FakeLineApi(limits=LINE_PLATFORM)
    telegram_api = FakeTelegramApi(limits=TELEGRAM_PLATFORM)
    await line_api.start()
    await telegram_api.start()
    try:
        await _run_the_bot(url, line_api, telegram_api)
    finally:
        await line_api.stop()
        await telegram_api.stop()
    return line_api, telegram_api


def test_send_all_reaches_every_member_once_on_both_channels(programme: Programme) -> None:
    """Queued by the CLI, delivered by the workers within the platforms' limits, once each."""
    queued = _citybot(
        programme.url, "announce", "send", "--audience", "all", "--text", "ประชุม", "--yes"
    )
    assert queued.exit_code == 0, queued.output
    people = len(programme.line_users) + len(programme.telegram_chats)
    assert f"for {people} people" in queued.stdout.splitlines()[-1]

    line_api, telegram_api = asyncio.run(_deliver(programme.url))

    multicasts = line_api.calls("multicast")
    assert {request.status for request in multicasts} == {200, 429}  # throttled, never refused
    assert max(len(request.json["to"]) for request in multicasts) == 500
    line_reached = Counter(
        user for request in line_api.accepted("multicast") for user in request.json["to"]
    )
    assert set(line_reached) == programme.line_users
    assert set(line_reached.values()) == {1}
    by_key: dict[str, list[int]] = {}
    for request in multicasts:  # a retry repeats its batch's key and body
        by_key.setdefault(request.headers["x-line-retry-key"], []).append(hash(request.body))
    assert len(by_key) == 3  # 500 + 21 in Thai, 3 in English
    assert all(len(set(bodies)) == 1 for bodies in by_key.values())

    telegram_reached = Counter(str(call.params["chat_id"]) for call in telegram_api.delivered())
    assert set(telegram_reached) == programme.telegram_chats
    assert set(telegram_reached.values()) == {1}
    assert line_api.throttled > 0
    assert telegram_api.throttled > 0

    async def outcomes(session: Any) -> dict[OutboxStatus, int]:
        rows = await session.execute(
            select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
        )
        return dict(rows.all())

    assert in_database(programme.url, outcomes) == {OutboxStatus.SENT: len(telegram_reached) + 3}
    status = _citybot(programme.url, "announce", "status", "1")
    assert status.exit_code == 0, status.output
    table = {row.split()[0]: row.split()[1:3] for row in status.stdout.splitlines()[2:5]}
    assert table == {  # people (the blocked one on each channel included), sent
        "line": [str(len(line_reached) + 1), str(len(line_reached))],
        "telegram": [str(len(telegram_reached) + 1), str(len(telegram_reached))],
        "total": [str(people + 2), str(people)],
    }
