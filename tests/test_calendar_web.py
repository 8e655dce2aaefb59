"""The calendar feeds over HTTP: headers, the feeds parsed back, and 404 that tells nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from bot.web import create_web_app
from db.enums import Role
from tests.calendar_kit import STAGES, milestone_events, parse, stage_events
from tests.chatdriver import ChatDriver
from tests.conftest import AppFactory

Register = Callable[..., Awaitable[ChatDriver]]
PATH = re.compile(r"/calendar/[A-Za-z0-9_-]+\.ics")


@pytest.fixture
async def client(make_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The web app on the seeded database (the same one the `register` chats use)."""
    web = create_web_app(await make_app())
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as client:
        yield client


async def feed_path(register: Register, org: str = "khon-kaen") -> tuple[ChatDriver, str]:
    """A member registered in chat and their feed's path (no PUBLIC_BASE_URL: the reply
    shows the path)."""
    member = await register(org, Role.OFFICER)
    await member.send("/calendar")
    found = PATH.search(member.text)
    assert found is not None, member.text
    return member, found.group(0)


async def test_public_feed(client: httpx.AsyncClient) -> None:
    """`GET /calendar/competition.ics`: public, cacheable, one event per stage, Thai by default
    and English with `?lang=en`, the same bytes on every request."""
    first = await client.get("/calendar/competition.ics")
    again = await client.get("/calendar/competition.ics")
    english = await client.get("/calendar/competition.ics", params={"lang": "en"})
    assert first.status_code == again.status_code == english.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.headers["cache-control"] == "public, max-age=300"
    assert first.headers["content-disposition"] == 'inline; filename="competition.ics"'
    assert first.content == again.content
    thai, eng = parse(first.content), parse(english.content)
    assert len(stage_events(thai)) == len(thai.events) == STAGES
    assert "ลงทะเบียนสมัครเข้าร่วมประกวด" in {str(e["SUMMARY"]) for e in thai.events}
    assert "Registration" in {str(e["SUMMARY"]) for e in eng.events}
    assert [e["UID"] for e in thai.events] == [e["UID"] for e in eng.events]


async def test_member_feed(client: httpx.AsyncClient, register: Register) -> None:
    """`GET /calendar/{token}.ics`: private, the stages with alarms and the city's milestones."""
    _member, path = await feed_path(register)
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "private, max-age=300"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    calendar = parse(response.content)
    assert len(stage_events(calendar)) == STAGES and milestone_events(calendar)
    assert any(event.subcomponents for event in stage_events(calendar))  # the alarms
    again = await client.get(path)
    assert [e["UID"] for e in parse(again.content).events] == [e["UID"] for e in calendar.events]


async def test_unknown_and_revoked_tokens_are_404_like_any_unknown_path(
    client: httpx.AsyncClient, register: Register
) -> None:
    """An unknown token and a reset (revoked) one answer exactly as a path that does not exist:
    same status, body and type, nothing about calendars or tokens."""
    member, old = await feed_path(register, "pattaya")
    nowhere = await client.get("/no/such/path")
    assert nowhere.status_code == 404
    await member.send("/calendar reset")
    found = PATH.search(member.text)
    assert found is not None and found.group(0) != old
    for path in (old, "/calendar/not-a-token.ics", f"{old[:-8]}x.ics"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.content == nowhere.content
        assert response.headers["content-type"] == nowhere.headers["content-type"]
        assert "cache-control" not in response.headers
        assert b"calendar" not in response.content.lower()
        assert b"token" not in response.content.lower()
    assert (await client.get(found.group(0))).status_code == 200
