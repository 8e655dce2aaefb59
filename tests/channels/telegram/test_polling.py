"""Long polling (no webhook secret): one poller, the offset kept across restarts, nothing twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram.polling import LEASE_NAME, OFFSET_CURSOR
from bot.core.clock import FrozenClock
from db.enums import Channel
from db.models import InboundEvent, SchedulerLease
from db.repositories.cursors import get_cursor, save_cursor
from tests.channels.telegram.conftest import SOMCHAI, telegram_settings
from tests.conftest import AppFactory
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.telegram_updates import TgUser, Updates

SOMYING = TgUser(id=5550003, first_name="สมหญิง")


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> None:
    """Wait until `check` holds (the poller works in the background), or fail."""
    async with asyncio.timeout(seconds):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)  # the state lives in the database: nothing to wait on


async def stored(app: App) -> int:
    """How many Telegram updates the inbox holds."""
    async with app.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(InboundEvent)
            .where(InboundEvent.channel == Channel.TELEGRAM)
        )
    return int(count or 0)


async def offset(app: App) -> str | None:
    """The saved polling offset."""
    async with app.sessions() as session:
        return await get_cursor(session=session, name=OFFSET_CURSOR)


def polling_settings(api: FakeTelegramApi) -> dict[str, Any]:
    """Telegram against the fake with no webhook secret: polling mode."""
    return telegram_settings(api, telegram_webhook_secret=None)


def answers_to(api: FakeTelegramApi, user: TgUser) -> int:
    """How many messages the bot sent `user`."""
    return len(api.messages_to(user.id))


async def test_polled_updates_are_answered_and_the_offset_saved(
    make_app: AppFactory, telegram_api: FakeTelegramApi, clock: FrozenClock
) -> None:
    """getUpdates → inbox → reply; the offset saved is the last update_id + 1."""
    app = await make_app(clock=clock, **polling_settings(telegram_api))
    update = Updates().text(SOMCHAI, "/help")

    telegram_api.queue_update(update)
    await eventually(lambda: _at_least(app, 1))
    await app.drain()

    assert answers_to(telegram_api, SOMCHAI) == 1
    assert await offset(app) == str(update["update_id"] + 1)
    first = telegram_api.calls_to("getUpdates")[0]
    assert first["timeout"] == 25
    assert "callback_query" in first["allowed_updates"]


async def _at_least(app: App, count: int) -> bool:
    return await stored(app) >= count


async def test_a_restart_resumes_at_the_saved_offset(
    make_app: AppFactory, telegram_api: FakeTelegramApi, clock: FrozenClock
) -> None:
    """Stop the bot, start a new one: it asks from the saved offset; every update answered once."""
    updates = Updates()
    first = await make_app(clock=clock, **polling_settings(telegram_api))
    early = [updates.text(SOMCHAI, "/help"), updates.text(SOMYING, "/help")]
    for update in early:
        telegram_api.queue_update(update)
    await eventually(lambda: _at_least(first, 2))
    await first.drain()
    await first.close()

    late = updates.text(SOMCHAI, "/start")
    telegram_api.queue_update(late)
    calls_before = len(telegram_api.calls_to("getUpdates"))
    second = await make_app(clock=clock, **polling_settings(telegram_api))
    await eventually(lambda: _at_least(second, 3))
    await second.drain()

    resumed = telegram_api.calls_to("getUpdates")[calls_before]
    assert resumed["offset"] == early[-1]["update_id"] + 1
    assert await stored(second) == 3
    assert answers_to(telegram_api, SOMCHAI) == 2
    assert answers_to(telegram_api, SOMYING) == 1
    assert await offset(second) == str(late["update_id"] + 1)


async def test_updates_served_again_after_a_crash_are_not_answered_twice(
    make_app: AppFactory, telegram_api: FakeTelegramApi, clock: FrozenClock
) -> None:
    """A crash after storing but before saving the offset: Telegram resends, nothing repeats."""
    updates = Updates()
    app = await make_app(clock=clock, **polling_settings(telegram_api))
    update = updates.text(SOMCHAI, "/help")
    telegram_api.queue_update(update)
    await eventually(lambda: _at_least(app, 1))
    await app.drain()
    await app.close()
    async with app.sessions() as session, session.begin():  # the offset write that never was
        await save_cursor(session=session, name=OFFSET_CURSOR, value="1", now=clock.now())

    telegram_api.queue_update(update)  # unconfirmed, so Telegram serves it again
    follow_up = updates.text(SOMCHAI, "/whoami")
    telegram_api.queue_update(follow_up)
    restarted = await make_app(clock=clock, **polling_settings(telegram_api))
    await eventually(lambda: _offset_is(restarted, follow_up["update_id"] + 1))
    await restarted.drain()

    assert await stored(restarted) == 2
    assert answers_to(telegram_api, SOMCHAI) == 2  # /help once, /whoami once


async def _offset_is(app: App, value: int) -> bool:
    return await offset(app) == str(value)


async def test_only_one_process_polls_and_another_takes_over(
    make_app: AppFactory, telegram_api: FakeTelegramApi, clock: FrozenClock
) -> None:
    """Two pollers on one database: one holds the lease; when it stops the other polls."""
    first = await make_app(clock=clock, **polling_settings(telegram_api))
    first_channel = first.adapters[Channel.TELEGRAM]
    assert isinstance(first_channel, TelegramChannel)
    other_app = await make_app(clock=clock)  # the same database, Telegram not enabled
    second = TelegramChannel(
        settings=first.settings,
        ingest=other_app.inbox.ingest,
        sessions=other_app.sessions,
        clock=clock,
        standby_retry=0.05,
    )
    await eventually(lambda: _polling(first_channel))
    await second.start()
    try:
        await asyncio.sleep(0.2)
        assert second.poller is not None
        assert not second.poller.polling

        await first.close()
        await eventually(lambda: _polling(second))
        update = Updates().text(SOMCHAI, "/help")
        telegram_api.queue_update(update)
        await eventually(lambda: _at_least(other_app, 1))
        async with other_app.sessions() as session:
            lease = await session.get(SchedulerLease, LEASE_NAME)
        assert lease is not None
        assert lease.holder == second.poller.holder
    finally:
        await second.close()
    async with other_app.sessions() as session:
        assert await session.get(SchedulerLease, LEASE_NAME) is None  # released on close


async def _polling(channel: TelegramChannel) -> bool:
    return channel.poller is not None and channel.poller.polling


async def test_a_webhook_in_the_way_is_reported_not_fought(
    make_app: AppFactory,
    telegram_api: FakeTelegramApi,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """getUpdates answering 409 (a webhook is set) logs how to fix it and deletes nothing."""
    telegram_api.webhook = {"url": "https://bot.example.org/webhooks/telegram"}

    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram.polling"):
        app = await make_app(clock=clock, **polling_settings(telegram_api))
        await eventually(lambda: _logged(caplog, "delete-webhook"))
        await app.close()

    assert telegram_api.webhook is not None
    assert telegram_api.calls_to("deleteWebhook") == []


async def _logged(caplog: pytest.LogCaptureFixture, words: str) -> bool:
    return words in caplog.text
