"""POST /webhooks/telegram under hostile bodies: 200, 400, 413 or 503, never 500 (issue 11)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.bodies import MAX_DEPTH
from bot.core.clock import FrozenClock
from bot.web import create_web_app
from db.enums import InboxStatus
from db.models import InboundEvent, OutboundMessage
from tests.channels.telegram.conftest import (
    ANNA,
    SECRET,
    SOMCHAI,
    TelegramHarness,
    telegram_settings,
)
from tests.conftest import AppFactory
from tests.fakes.hostile import EDGE_INTEGERS, bodies, chunks, deep, drawn, rows_by_status
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.telegram_updates import Updates, group_chat

LIMIT = 64 * 1024
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
# The fields of an update the webhook and the reader use, each made hostile in turn by the fuzz.
PATHS = (
    ("update_id",),
    ("message",),
    ("message", "date"),
    ("message", "text"),
    ("message", "message_id"),
    ("message", "from"),
    ("message", "from", "id"),
    ("message", "from", "is_bot"),
    ("message", "from", "first_name"),
    ("message", "from", "language_code"),
    ("message", "chat"),
    ("message", "chat", "id"),
    ("message", "chat", "type"),
    ("message", "chat", "title"),
    ("message", "entities"),
    ("message", "location"),
    ("message", "photo"),
    ("message", "new_chat_members"),
    ("callback_query", "id"),
    ("callback_query", "data"),
    ("callback_query", "from", "id"),
)


async def _status_of(telegram: TelegramHarness, update_id: int) -> InboxStatus | None:
    async with telegram.app.sessions() as session:
        return await session.scalar(
            select(InboundEvent.status).where(InboundEvent.event_key == str(update_id))
        )


async def _outbox_size(telegram: TelegramHarness) -> int:
    async with telegram.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboundMessage)) or 0)


async def test_issue11_d1_deep_json_is_400(telegram: TelegramHarness) -> None:
    """An update nested 1,000+ levels deep (json's RecursionError) is a 400, not a 500."""
    update = telegram.updates.text(SOMCHAI, "hello")
    spelled = '"hello"'
    for levels in (MAX_DEPTH + 1, 1200, 100_000):
        raw = str(update).replace("'", '"').replace(spelled, deep(levels))
        assert await telegram.post(raw.replace("False", "false"), raw=True) == 400
    assert await telegram.post(deep(5000), raw=True) == 400
    assert await telegram.inbox_rows() == 0


@pytest.mark.parametrize("stamp", EDGE_INTEGERS)
async def test_issue11_d1_dates_beyond_a_datetime_are_not_500(
    telegram: TelegramHarness, stamp: int
) -> None:
    """A message dated at or past ±2^63 is stored and settled unread; never 500, never stuck."""
    update = telegram.updates.text(SOMCHAI, "/help")
    update["message"]["date"] = stamp
    assert await telegram.post(update) == 200
    await telegram.app.drain()
    assert await _status_of(telegram, update["update_id"]) is InboxStatus.SKIPPED


async def test_issue11_d1_update_id_beyond_64_bits_is_400(telegram: TelegramHarness) -> None:
    """An update_id Telegram could not send (past 64 bits, or a boolean) is refused with 400."""
    for update_id in (2**63, -(2**63), 10**200, True):
        update = {**telegram.updates.text(SOMCHAI, "/help"), "update_id": update_id}
        assert await telegram.post(update) == 400
    assert await telegram.inbox_rows() == 0


async def test_issue11_d1_wrong_types_per_field_are_settled_not_stuck(
    telegram: TelegramHarness,
) -> None:
    """A numeric text is unreadable: stored, then skipped with a reason, never stuck.

    Hints of the wrong type (a boolean language code, a list as a chat title) only go unused:
    the person is still answered.
    """
    updates = [telegram.updates.text(ANNA, "/help") for _ in range(3)]
    updates[0]["message"]["from"]["language_code"] = True
    updates[1]["message"]["text"] = 5
    updates[2]["message"]["chat"] = {**group_chat(), "title": ["x"]}
    for update in updates:
        assert await telegram.post(update) == 200
    await telegram.app.drain()
    async with telegram.app.sessions() as session:
        rows = {row.event_key: row for row in (await session.scalars(select(InboundEvent))).all()}
    statuses = [rows[str(update["update_id"])].status for update in updates]
    assert statuses == [InboxStatus.DONE, InboxStatus.SKIPPED, InboxStatus.DONE]
    assert "text is a int" in (rows[str(updates[1]["update_id"])].last_error or "")


async def test_issue11_body_over_the_limit_is_413_declared_or_streamed(
    make_app: AppFactory, telegram_api: FakeTelegramApi, clock: FrozenClock
) -> None:
    """Past CITYBOT_MAX_BODY_BYTES: 413 at once when declared, as soon as it passes if chunked."""
    app = await make_app(
        clock=clock, **telegram_settings(telegram_api, citybot_max_body_bytes=LIMIT)
    )
    transport = httpx.ASGITransport(app=create_web_app(app))
    declared: list[int] = []
    streamed: list[int] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/webhooks/telegram",
            content=chunks(LIMIT * 4, 4096, declared),
            headers={**HEADERS, "Content-Length": str(LIMIT * 4)},
        )
        assert response.status_code == 413
        assert sum(declared) <= 4096
        response = await client.post(
            "/webhooks/telegram", content=chunks(LIMIT * 100, 8192, streamed), headers=HEADERS
        )
        assert response.status_code == 413
        assert LIMIT < sum(streamed) <= LIMIT + 2 * 8192
        forged = await client.post("/webhooks/telegram", content=b"{}", headers={})
        assert forged.status_code == 403  # the secret is still checked first


def _valid_updates(updates: Updates) -> st.SearchStrategy[dict[str, Any]]:
    """Updates Telegram sends, fresh for each draw (new ids)."""
    makers = [
        lambda: updates.text(SOMCHAI, "/help"),
        lambda: updates.text(ANNA, "hello", group_chat()),
        lambda: updates.photo(SOMCHAI),
        lambda: updates.location(ANNA, 16.43, 102.83),
        lambda: updates.sticker(SOMCHAI),
    ]
    return st.sampled_from(makers).map(lambda make: make())


async def test_issue11_fuzzed_signed_bodies_never_get_a_5xx(
    telegram: TelegramHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hundreds of hostile updates with the right secret: 200 or 400 each; then the worker settles
    every row it was given and a valid message still gets its answer."""
    wrap = lambda items: items[0] if items else {}  # noqa: E731
    raws = drawn(bodies(_valid_updates(Updates(first_update_id=1)), PATHS, wrap))
    statuses: Counter[int] = Counter()
    for raw in raws:
        status = await telegram.post(raw, raw=True)
        statuses[status] += 1
        assert status in {200, 400}, raw[:300]
    # The inbox alone: sending the fuzz's answers would wait on Telegram's per-chat rate.
    while await telegram.app.inbox.process_available():
        pass
    assert InboxStatus.PROCESSING not in await rows_by_status(telegram.app.sessions)
    queued = await _outbox_size(telegram)
    update = telegram.updates.text(SOMCHAI, "/help")
    assert await telegram.post(update) == 200
    await telegram.app.inbox.process_available()
    assert await _status_of(telegram, update["update_id"]) is InboxStatus.DONE
    assert await _outbox_size(telegram) == queued + 1
    with capsys.disabled():
        print(f"\ntelegram fuzz: {len(raws)} bodies, statuses {dict(sorted(statuses.items()))}")
