"""The end-to-end benchmark's yardstick, the SDK-style echo bot, does what the example does.

It runs as the benchmark runs it — its own process, configured by the environment — against the
fake LINE API, so a broken peer fails here rather than as a slow row in docs/benchmarks.md.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import pytest

from bench.peers.line_echo import WEBHOOK_PATH, command
from bench.servers import running
from bot.core.clock import FrozenClock
from tests.conftest import START
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import ACCESS_TOKEN, SECRET, LineEvents, body, sign, user_id
from tests.fakes.loopback import serving_in_thread


@pytest.fixture
def echo() -> Iterator[tuple[FakeLineApi, tuple[str, int]]]:
    """The fake LINE API, and the address of the echo bot pointed at it."""
    with serving_in_thread(FakeLineApi()) as (api,):
        env = {
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
            "LINE_API_BASE_URL": api.base_url,
        }
        with running(command, env, cpu=None) as (_process, address):
            yield api, address


def _post(address: tuple[str, int], raw: bytes, signature: str) -> int:
    connection = http.client.HTTPConnection(*address, timeout=10)
    try:
        connection.request("POST", WEBHOOK_PATH, raw, {"X-Line-Signature": signature})
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_signed_text_message_gets_its_text_back_through_its_reply_token(
    echo: tuple[FakeLineApi, tuple[str, int]],
) -> None:
    api, address = echo
    event = LineEvents(FrozenClock(START)).text(user_id(), "/help")
    raw = body(event)

    assert _post(address, raw, sign(raw)) == 200
    (reply,) = api.accepted("reply")
    assert reply.json["replyToken"] == event["replyToken"]
    assert reply.json["messages"] == [{"type": "text", "text": "/help"}]


def test_a_bad_signature_is_refused_with_400_and_nothing_is_sent(
    echo: tuple[FakeLineApi, tuple[str, int]],
) -> None:
    api, address = echo
    raw = body(LineEvents(FrozenClock(START)).text(user_id(), "/help"))

    assert _post(address, raw, sign(raw, secret="not-the-channel-secret")) == 400
    assert api.requests == []
