"""/calendar on Telegram: the link as text, and the feed itself uploaded as an .ics file."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.core.clock import FrozenClock
from bot.web import create_web_app
from db.enums import Role
from tests.calendar_kit import STAGES, parse, stage_events, stage_titles
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


async def test_calendar_sends_the_link_and_uploads_the_feed(
    telegram: TelegramHarness, make_invite: InviteFactory
) -> None:
    """The link with how to subscribe, then a multipart sendDocument of citybot.ics whose
    bytes are the member's feed: every stage, in Thai, the same bytes the link serves."""
    await telegram.register(SOMCHAI, await make_invite("khon-kaen", Role.OFFICER))
    calls = await telegram.says(SOMCHAI, "/calendar")
    assert methods_of(calls) == ["sendMessage", "sendDocument"]
    [text] = texts_of(calls)
    (upload,) = telegram.api.uploads
    assert calls[1]["document"] == upload
    assert upload.field == "document" and upload.filename == "citybot.ics"
    assert "(.ics)" in calls[1]["caption"]
    async with telegram.app.sessions() as session:
        titles = await stage_titles(session)
    stages = stage_events(parse(upload.data))
    assert len(stages) == STAGES
    assert {str(e["SUMMARY"]) for e in stages} == {th for th, _en in titles.values()}
    # The file is the feed the link in the text serves.
    (url,) = [word for word in text.split() if word.startswith(f"{PUBLIC}/calendar/")]
    feed = await telegram.client.get(url.removeprefix(PUBLIC))
    assert feed.status_code == 200 and feed.content == upload.data


async def test_a_refused_upload_falls_back_to_a_link_button(
    telegram: TelegramHarness, make_invite: InviteFactory
) -> None:
    """When Telegram refuses the file, the feed's link comes as a button instead."""
    await telegram.register(SOMCHAI, await make_invite("khon-kaen", Role.OFFICER))
    telegram.api.fail("sendDocument", 400, "Bad Request: file must be non-empty")
    calls = await telegram.says(SOMCHAI, "/calendar")
    assert methods_of(calls) == ["sendMessage", "sendDocument", "sendMessage"]
    (url,) = [k["url"] for row in calls[2]["reply_markup"]["inline_keyboard"] for k in row]
    assert url.startswith(f"{PUBLIC}/calendar/") and url.endswith(".ics")
    assert url in calls[0]["text"]
