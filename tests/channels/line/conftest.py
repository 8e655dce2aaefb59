"""The bot with LINE enabled, talking to a fake Messaging API on loopback through the real SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.channels.line import LineChannel
from bot.core.clock import FrozenClock
from bot.web import create_web_app
from db.enums import Channel
from db.models import InboundEvent
from tests.conftest import AppFactory
from tests.fakes.line_api import FakeLineApi, Request, actions_of
from tests.fakes.line_events import ACCESS_TOKEN, SECRET, LineEvents, body, sign


def line_settings(api: FakeLineApi, **overrides: Any) -> dict[str, Any]:
    """Settings that enable LINE against the fake."""
    settings: dict[str, Any] = {
        "line_channel_secret": SECRET,
        "line_channel_access_token": ACCESS_TOKEN,
        "line_api_base_url": api.base_url,
        "line_data_api_base_url": api.base_url,
    }
    settings.update(overrides)
    return settings


@dataclass
class LineHarness:
    """The whole bot: post signed webhooks as LINE would, read what the fake API received."""

    app: App
    api: FakeLineApi
    client: httpx.AsyncClient
    clock: FrozenClock
    events: LineEvents = field(init=False)

    def __post_init__(self) -> None:
        self.events = LineEvents(self.clock)

    @property
    def channel(self) -> LineChannel:
        """The LINE adapter the app built."""
        adapter = self.app.adapters[Channel.LINE]
        assert isinstance(adapter, LineChannel)
        return adapter

    async def post_raw(self, raw: bytes, headers: Mapping[str, str | bytes]) -> int:
        """POST exactly these bytes with these headers (bytes pass as they are); the status."""
        encoded = {b"content-type": b"application/json"}
        for name, value in headers.items():
            encoded[name.encode()] = value if isinstance(value, bytes) else value.encode()
        response = await self.client.post("/webhooks/line", content=raw, headers=encoded)
        return response.status_code

    async def post(self, *events: dict[str, Any]) -> int:
        """POST a correctly signed webhook carrying `events`; the HTTP status."""
        raw = body(*events)
        return await self.post_raw(raw, {"X-Line-Signature": sign(raw)})

    async def deliver(self, *events: dict[str, Any]) -> list[Request]:
        """Post `events`, let the bot work, and return what it sent to LINE (look-ups of
        profiles and groups stay in `api.requests`)."""
        before = len(self.api.requests)
        assert await self.post(*events) == 200
        await self.app.drain()
        return [r for r in self.api.requests[before:] if r.endpoint not in LOOKUPS]

    async def says(self, user: str, text: str, **options: Any) -> list[Request]:
        """`user` types `text`."""
        return await self.deliver(self.events.text(user, text, **options))

    async def taps(self, user: str, label: str, **options: Any) -> list[Request]:
        """`user` taps the quick reply or button `label` of the latest message that shows it."""
        return await self.deliver(self.events.postback(user, self.data_of(label), **options))

    def data_of(self, label: str) -> str:
        """The postback data behind the latest action labelled `label` that LINE received."""
        for request in reversed(self.api.requests):
            if request.endpoint not in {"reply", "push"} or not request.json:
                continue
            for message in reversed(request.json["messages"]):
                for action in actions_of(message):
                    if action.get("label") == label and action.get("type") == "postback":
                        return str(action["data"])
        raise AssertionError(f"no action labelled {label!r} was sent")

    async def inbox_rows(self) -> int:
        """How many LINE events the inbox holds."""
        async with self.app.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(InboundEvent)
                .where(InboundEvent.channel == Channel.LINE)
            )
        return int(count or 0)


LOOKUPS = frozenset({"profile", "group_summary", "group_member"})


def endpoints(requests: list[Request], *, lookups: bool = False) -> list[str]:
    """Which LINE endpoints were called, in order; profile and group look-ups only if asked."""
    return [r.endpoint for r in requests if lookups or r.endpoint not in LOOKUPS]


def words(requests: list[Request]) -> str:
    """Every text and Flex text LINE was asked to show, joined."""
    found: list[str] = []
    for request in requests:
        if request.endpoint in {"reply", "push", "multicast"} and request.json:
            for message in request.json.get("messages", []):
                found.append(message.get("text") or message.get("altText", ""))
                found.extend(a.get("label", "") for a in actions_of(message))
    return "\n".join(found)


@pytest.fixture
async def line(
    make_app: AppFactory, line_api: FakeLineApi, clock: FrozenClock
) -> AsyncIterator[LineHarness]:
    """The bot with LINE enabled against the fake API, on each database."""
    app = await make_app(clock=clock, **line_settings(line_api))
    web = create_web_app(app)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield LineHarness(app=app, api=line_api, client=client, clock=clock)
