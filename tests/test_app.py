"""The composition root's loops: run for the simulator alone, stopped between batches."""

from __future__ import annotations

import httpx
import pytest

from bot.app import App
from bot.core.clock import FrozenClock
from bot.settings import Settings
from bot.web import create_web_app
from db.enums import Channel

pytestmark = pytest.mark.usefixtures("isolated_settings")


async def test_without_line_or_telegram_the_loops_answer_the_simulator(
    seeded_database_url: str, clock: FrozenClock
) -> None:
    """No platform configured: the loops still run, and they (not the caller) do the work."""
    settings = Settings(_env_file=None, database_url=seeded_database_url, citybot_simulator=True)
    app = App.create(settings, clock=clock)
    web = create_web_app(app)
    transport = httpx.ASGITransport(app=web)
    async with (
        web.router.lifespan_context(web),
        httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as client,
    ):
        assert await app.pump(Channel.SIMULATOR) == 0  # the loops' work, not the caller's
        response = await client.post(
            "/simulator/api/messages", json={"user": "web-1", "text": "/lang en"}
        )
    assert response.json() == {
        "replies": [{"type": "text", "text": "Language set to English."}],
        "language": "en",
    }


async def test_closing_at_once_cuts_no_database_call_off(
    seeded_database_url: str, clock: FrozenClock
) -> None:
    """Loops stopped right after they start finish their call first (no thread left behind)."""
    settings = Settings(_env_file=None, database_url=seeded_database_url, citybot_simulator=True)
    for _ in range(10):
        app = App.create(settings, clock=clock)
        web = create_web_app(app)
        async with web.router.lifespan_context(web):
            pass  # pytest fails the test on an exception in a driver's thread
