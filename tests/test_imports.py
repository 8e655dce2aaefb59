"""Heavy imports: the collector paused and restored; what serving needs not loaded before use."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import threading
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest

from bot.imports import OnFirstUse, collector_paused
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import ACCESS_TOKEN, SECRET

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_paused_and_restored(enabled_before: bool) -> None:
    """Paused inside the block, even if it raises; afterwards exactly as it was."""
    (gc.enable if enabled_before else gc.disable)()
    seen_inside: list[bool] = []

    def failing_import() -> None:
        with collector_paused():
            seen_inside.append(gc.isenabled())
            raise ImportError("no such module")

    try:
        with pytest.raises(ImportError):
            failing_import()
        assert seen_inside == [False]
        assert gc.isenabled() is enabled_before
    finally:
        gc.enable()


def test_a_thing_is_made_once_and_in_a_worker_thread_when_awaited() -> None:
    """Asked at once from several tasks, it is made once, off the event loop's thread."""
    made_in: list[int] = []

    def make() -> str:
        made_in.append(threading.get_ident())
        return "made"

    thing = OnFirstUse(make)

    async def ask_three_times() -> list[str]:
        return list(await asyncio.gather(thing.load(), thing.load(), thing.load()))

    assert not thing.loaded
    assert asyncio.run(ask_three_times()) == ["made"] * 3
    assert thing.get() == "made"
    assert thing.loaded
    assert len(made_in) == 1
    assert made_in[0] != threading.get_ident()


async def test_issue10_serve_loads_the_line_sdk_on_the_first_reply_not_at_start(
    database_url: str,
) -> None:
    """Serving (ready, webhook acknowledged) imports no `linebot`; the first reply does.

    In a fresh interpreter: this one has long imported the SDK for other tests.
    """
    line_api = FakeLineApi()
    await line_api.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "TELEGRAM_"))}
    env |= {
        "DATABASE_URL": database_url,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": line_api.base_url,
        "LINE_DATA_API_BASE_URL": line_api.base_url,
    }
    try:
        probe = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.serve_probe", cwd=ROOT, env=env, stdout=PIPE
        )
        output, _ = await probe.communicate()
    finally:
        await line_api.stop()

    assert probe.returncode == 0
    assert json.loads(output) == {
        "sdk_after_start": False,
        "readyz": 200,
        "webhook": 200,
        "sdk_after_webhook": False,
        "sdk_after_reply": True,
    }
    assert [r.endpoint for r in line_api.requests] == ["profile", "reply"]
