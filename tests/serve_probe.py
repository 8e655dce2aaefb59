"""Run by tests/test_imports.py in a fresh interpreter: when the serve path loads the LINE SDK.

`python -m tests.serve_probe` with LINE configured in the environment imports what
`citybot serve` imports, starts the web app, answers /readyz, acknowledges a signed webhook,
then lets the inbox and outbox work; it prints, as JSON, the statuses and whether `linebot` was
in `sys.modules` after each step.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import httpx

import bot.cli  # noqa: F401  # what `citybot serve` imports before it builds the app
from bot.app import App
from bot.core.clock import SystemClock
from bot.settings import load_settings
from bot.web import create_web_app
from tests.fakes.line_events import LineEvents, body, sign, user_id


def _sdk_loaded() -> bool:
    return "linebot" in sys.modules


async def probe() -> dict[str, Any]:
    """Each step's outcome, and whether the SDK was loaded by then."""
    app = App.create(load_settings())
    web = create_web_app(app, loops=False)  # the test drives the inbox and outbox itself
    steps: dict[str, Any] = {"sdk_after_start": None}
    async with (
        web.router.lifespan_context(web),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot") as client,
    ):
        steps["sdk_after_start"] = _sdk_loaded()
        steps["readyz"] = (await client.get("/readyz")).status_code
        raw = body(LineEvents(SystemClock()).text(user_id(), "hello"))
        answer = await client.post(
            "/webhooks/line",
            content=raw,
            headers={"content-type": "application/json", "x-line-signature": sign(raw)},
        )
        steps["webhook"] = answer.status_code
        steps["sdk_after_webhook"] = _sdk_loaded()
        await app.drain()
        steps["sdk_after_reply"] = _sdk_loaded()
    return steps


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe())))
