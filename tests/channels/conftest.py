"""The fake platforms on loopback (`line_api`, `telegram_api`, for line/ and telegram/ too), and
the bot on LINE or Telegram keeping received files under a temporary media directory: for
end-to-end tests of files people send (progress evidence, competition entries). LINE's content
host is a fake of its own (`LINE_DATA_API_BASE_URL`), as in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.core.clock import FrozenClock
from bot.web import create_web_app
from db.enums import Role
from tests.channels.line.conftest import LineHarness, line_settings
from tests.channels.telegram.conftest import TelegramHarness, telegram_settings
from tests.conftest import AppFactory
from tests.factories import Account, add_member
from tests.fakes.line_api import FakeLineApi
from tests.fakes.telegram_api import FakeTelegramApi


@pytest.fixture
async def line_api() -> AsyncIterator[FakeLineApi]:
    """LINE's Messaging API host."""
    api = FakeLineApi()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def content_host() -> AsyncIterator[FakeLineApi]:
    """LINE's content host, apart from the API host, as in production."""
    api = FakeLineApi()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramApi]:
    """The Bot API."""
    api = FakeTelegramApi()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def line_bot(
    make_app: AppFactory,
    line_api: FakeLineApi,
    content_host: FakeLineApi,
    clock: FrozenClock,
    tmp_path: Path,
) -> AsyncIterator[LineHarness]:
    """The bot with LINE on, its files kept under a temporary media directory."""
    app = await make_app(
        clock=clock,
        citybot_media_dir=tmp_path / "media",
        **line_settings(line_api, line_data_api_base_url=content_host.base_url),
    )
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield LineHarness(app=app, api=line_api, client=client, clock=clock)


@pytest.fixture
async def telegram_bot(
    make_app: AppFactory, telegram_api: FakeTelegramApi, clock: FrozenClock, tmp_path: Path
) -> AsyncIterator[TelegramHarness]:
    """The bot with Telegram on (webhook mode), its files under a temporary media directory."""
    app = await make_app(
        clock=clock, citybot_media_dir=tmp_path / "media", **telegram_settings(telegram_api)
    )
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield TelegramHarness(app=app, api=telegram_api, client=client, clock=clock)


async def member_on(
    harness: LineHarness | TelegramHarness,
    org: str,
    account: Account,
    role: Role = Role.OFFICER,
) -> int:
    """A registered member of `org` (an officer unless said) on `account`; their member id."""
    async with harness.app.sessions() as session, session.begin():
        member = await add_member(session, org, role, [account])
        return member.id
