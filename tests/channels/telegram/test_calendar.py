"""/calendar on Telegram: the link as text, and the feed as a document by URL (or its link)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.core.clock import FrozenClock
from bot.web import create_web_app
from db.enums import Role
from tests.channels.telegram.conftest import (
    SOMCHAI,
    TelegramHarness,
    methods_of,
    telegram_settings,
    texts_of,
)
from tests.conftest import AppFactory, InviteFactory
from tests.fakes.telegram_api import FakeTelegramApi

PUBLIC = "https://bot.example.org"


@pytest.fixture
async def telegram(
    make_app: AppFactory, telegram_api: FakeTelegramApi, clock: FrozenClock
) -> AsyncIterator[TelegramHarness]:
    """The Telegram harness on a server with a public address."""
    settings = telegram_settings(telegram_api, public_base_url=PUBLIC)
    app = await make_app(clock=clock, **settings)
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield TelegramHarness(app=app, api=telegram_api, client=client, clock=clock)


async def test_calendar_sends_the_link_and_the_feed_as_a_document(
    telegram: TelegramHarness, make_invite: InviteFactory
) -> None:
    """The link with how to subscribe, then sendDocument with the same feed URL."""
    await telegram.register(SOMCHAI, await make_invite("khon-kaen", Role.OFFICER))
    calls = await telegram.says(SOMCHAI, "/calendar")
    assert methods_of(calls) == ["sendMessage", "sendDocument"]
    [text] = texts_of(calls)
    url = calls[1]["document"]
    assert url.startswith(f"{PUBLIC}/calendar/") and url.endswith(".ics")
    assert url in text and "Google Calendar" in text
    assert "(.ics)" in calls[1]["caption"]
    # The document's URL is the feed the web app serves.
    feed = await telegram.client.get(url.removeprefix(PUBLIC))
    assert feed.status_code == 200 and feed.content.startswith(b"BEGIN:VCALENDAR")


async def test_a_refused_document_url_falls_back_to_a_link_button(
    telegram: TelegramHarness, make_invite: InviteFactory
) -> None:
    """Telegram takes only some file types by URL; when it refuses, the link comes as a button."""
    await telegram.register(SOMCHAI, await make_invite("khon-kaen", Role.OFFICER))
    telegram.api.refuse_document_urls = True
    calls = await telegram.says(SOMCHAI, "/calendar")
    assert methods_of(calls) == ["sendMessage", "sendDocument", "sendMessage"]
    keys = calls[2]["reply_markup"]["inline_keyboard"]
    assert keys[0][0]["url"] == calls[1]["document"]
