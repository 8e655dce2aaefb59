"""POST /webhooks/line under hostile bodies: 200, 400, 413 or 503, never 500 (issue 11)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import strategies as st
from sqlalchemy import select

from bot.core.bodies import MAX_DEPTH
from bot.core.clock import FrozenClock
from bot.web import create_web_app
from db.enums import InboxStatus
from db.models import InboundEvent
from tests.channels.line.conftest import LineHarness, endpoints, line_settings
from tests.conftest import AppFactory
from tests.fakes.hostile import (
    EDGE_INTEGERS,
    bodies,
    chunks,
    deep,
    drawn,
    rows_by_status,
)
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import BOT_USER_ID, LineEvents, body, group_id, sign, user_id

U = user_id()
LIMIT = 64 * 1024
# The fields of an event the webhook and the parser read, each made hostile in turn by the fuzz.
PATHS = (
    ("timestamp",),
    ("type",),
    ("webhookEventId",),
    ("mode",),
    ("replyToken",),
    ("source",),
    ("source", "type"),
    ("source", "userId"),
    ("message",),
    ("message", "type"),
    ("message", "id"),
    ("message", "text"),
    ("message", "latitude"),
    ("postback", "data"),
    ("unsend",),
    ("unsend", "messageId"),
    ("joined", "members"),
)


def _signed(raw: bytes) -> dict[str, str]:
    return {"X-Line-Signature": sign(raw)}


async def _statuses(line: LineHarness) -> dict[str, InboxStatus]:
    """Each stored event's key and state."""
    async with line.app.sessions() as session:
        rows = await session.execute(select(InboundEvent.event_key, InboundEvent.status))
    return {row.event_key: row.status for row in rows}


async def test_issue11_d1_deep_json_is_400(line: LineHarness) -> None:
    """A signed body nested 1,000+ levels deep (json's RecursionError) is a 400, not a 500."""
    for raw in (deep(5000).encode(), ('{"events":' + deep(1200) + "}").encode()):
        assert await line.post_raw(raw, _signed(raw)) == 400
    event = line.events.text(U, "hello")
    event["message"]["extra"] = json.loads(deep(MAX_DEPTH + 1))
    raw = body(event)  # parses, but deeper than the inbox stores
    assert await line.post_raw(raw, _signed(raw)) == 400
    assert await line.inbox_rows() == 0


async def test_issue11_d1_timestamps_beyond_a_datetime_are_skipped_not_500(
    line: LineHarness,
) -> None:
    """Timestamps at or past ±2^63 (or past year 9999) skip their event; the good one is kept."""
    good = line.events.text(U, "/help")
    bad = [{**line.events.text(U, "x"), "timestamp": stamp} for stamp in EDGE_INTEGERS]
    assert await line.post(good, *bad) == 200
    stored = await _statuses(line)
    assert stored[good["webhookEventId"]] is InboxStatus.PENDING
    assert {stored[event["webhookEventId"]] for event in bad} == {InboxStatus.SKIPPED}
    await line.app.drain()
    assert endpoints(line.api.requests) == ["reply"]  # the good event alone is answered


async def test_issue11_d1_unsend_whose_field_is_a_string_is_not_500(line: LineHarness) -> None:
    """An `unsend` whose `unsend` is a string is acknowledged; the worker settles it unread."""
    event = {**line.events.unsend(U, "325708"), "unsend": "325708"}
    assert await line.post(event) == 200
    await line.app.drain()
    assert (await _statuses(line))[event["webhookEventId"]] is InboxStatus.SKIPPED


async def test_issue11_d1_unstorable_values_are_400(line: LineHarness) -> None:
    """NaN, an overflowing float, a NUL or a lone surrogate, non-UTF-8: 400, nothing stored."""
    text = line.events.text(U, "hello")
    raws = [
        body(text).replace(b'"hello"', spelled)
        for spelled in (b"NaN", b"1e400", b'"\\u0000"', b'"\\ud800"', b"1" + b"0" * 5000)
    ]
    raws.append(body(text).replace(b"hello", "สวัสดี".encode("cp874")))
    for raw in raws:
        assert await line.post_raw(raw, _signed(raw)) == 400
    assert await line.inbox_rows() == 0


async def test_issue11_d1_a_batch_keeps_its_good_events_and_skips_the_bad(
    line: LineHarness,
) -> None:
    """Bad events in a batch are stored skipped with their reason; redelivery stays deduped."""
    good = line.events.text(U, "/help")
    no_key = {**line.events.text(U, "x"), "webhookEventId": 7}
    raw = body(good, "text", no_key, {**line.events.follow(U), "type": None})
    for _ in range(2):  # a redelivery adds nothing
        assert await line.post_raw(raw, _signed(raw)) == 200
    async with line.app.sessions() as session:
        rows = (await session.scalars(select(InboundEvent))).all()
    skipped = sorted(row.last_error or "" for row in rows if row.status is InboxStatus.SKIPPED)
    assert len(rows) == 4
    assert skipped == [
        "events[1] is not an object",
        "events[2].webhookEventId is missing or invalid",
        "events[3].type is missing or not a string",
    ]


async def test_issue11_body_over_the_declared_limit_is_413_unread(
    make_app: AppFactory, line_api: FakeLineApi, clock: FrozenClock
) -> None:
    """A Content-Length over CITYBOT_MAX_BODY_BYTES is refused at once, signed or not."""
    app = await make_app(clock=clock, **line_settings(line_api, citybot_max_body_bytes=LIMIT))
    pulled: list[int] = []
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        declared = await client.post(
            "/webhooks/line",
            content=chunks(LIMIT * 4, 4096, pulled),
            headers={"Content-Length": str(LIMIT * 4), "X-Line-Signature": "x"},
        )
        assert declared.status_code == 413
        assert sum(pulled) <= 4096  # nothing of the body was waited for
        within = body(LineEvents(clock).text(U, "hi"))
        ok = await client.post("/webhooks/line", content=within, headers=_signed(within))
        assert ok.status_code == 200


async def test_issue11_chunked_body_past_the_limit_is_413_as_soon_as_it_passes(
    make_app: AppFactory, line_api: FakeLineApi
) -> None:
    """A chunked body is counted as it streams and refused once past the limit, not read whole."""
    app = await make_app(**line_settings(line_api, citybot_max_body_bytes=LIMIT))
    pulled: list[int] = []
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/webhooks/line", content=chunks(LIMIT * 100, 8192, pulled))
    assert response.status_code == 413
    assert LIMIT < sum(pulled) <= LIMIT + 2 * 8192


def _valid_events(events: LineEvents) -> st.SearchStrategy[dict[str, Any]]:
    """Events LINE sends, fresh for each draw (new ids)."""
    makers = [
        lambda: events.text(U, "/help"),
        lambda: events.location(U),
        lambda: events.postback(U, "1|consent:yes"),
        lambda: events.unsend(U, "325708"),
        lambda: events.member_joined(group_id(), [U]),
        lambda: events.follow(U),
    ]
    return st.sampled_from(makers).map(lambda make: make())


async def test_issue11_fuzzed_signed_bodies_never_get_a_5xx(
    line: LineHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hundreds of signed hostile bodies: 200 or 400 each; then the worker settles every row
    it was given and a valid message still gets its answer."""
    wrap = lambda items: {"destination": BOT_USER_ID, "events": items}  # noqa: E731
    raws = drawn(bodies(_valid_events(line.events), PATHS, wrap))
    statuses: Counter[int] = Counter()
    for raw in raws:
        status = await line.post_raw(raw, _signed(raw))
        statuses[status] += 1
        assert status in {200, 400}, raw[:300]
    await line.app.drain()
    assert InboxStatus.PROCESSING not in await rows_by_status(line.app.sessions)
    before = len(line.api.requests)
    assert await line.post(line.events.text(user_id(), "/help")) == 200
    await line.app.drain()
    assert "reply" in endpoints(line.api.requests[before:])
    with capsys.disabled():
        print(f"\nline fuzz: {len(raws)} bodies, statuses {dict(sorted(statuses.items()))}")
