"""The fake LINE API of the tests in a process of its own, on uvloop, for the replies benchmark.

In a thread of the benchmark process it would share one interpreter lock with the load generator:
each would stall the other, and at a thousand replies a second the fake could cap or delay what
it is meant to time. Here it is the same `tests.fakes.line_api.FakeLineApi` (LINE's checks and
rate limits included), with a small control server next to it that the benchmark asks:

- `GET /healthz`: `{"base_url": …}`, where the fake API listens (LINE_API_BASE_URL);
- `GET /received?since=N`: what the fake has answered since its Nth request, in order, as
  `[endpoint, status, at, reply token, push recipient, body bytes]`; `at` is `time.monotonic()`
  when the request arrived, which on Linux is one clock for every process of the machine.

    python -m bench.peers.line_api --port 9100   # the control port; the API takes a free one
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

from bench.servers import running
from tests.fakes.line_api import FakeLineApi, Request


class Received(NamedTuple):
    """What the benchmark needs of one request the fake answered: little, so reports are cheap."""

    endpoint: str  # "reply", "push", "profile"…
    status: int
    at: float  # time.monotonic() when it arrived
    reply_token: str | None
    to: str | None  # a push's recipient
    size: int  # bytes of the request body


def _record(request: Request) -> Received:
    document = request.json if isinstance(request.json, dict) else {}
    token, to = document.get("replyToken"), document.get("to")
    return Received(
        request.endpoint,
        request.status,
        request.at,
        token if isinstance(token, str) else None,
        to if isinstance(to, str) else None,
        len(request.body),
    )


def control_app(api: FakeLineApi) -> web.Application:
    """The benchmark's window on `api`."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"base_url": api.base_url})

    async def received(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        answered = []
        for record in api.requests[since:]:
            if record.status == 0:  # still being answered: it and what follows, next time
                break
            answered.append(_record(record))
        return web.json_response(answered)

    app = web.Application()
    app.add_routes(
        [
            web.get("/healthz", healthz),
            web.get("/received", received),
        ]
    )
    return app


async def serve(host: str, port: int) -> None:
    """The fake API on a free port and its control server on `port`, until SIGTERM."""
    api = FakeLineApi()
    await api.start()
    runner = web.AppRunner(control_app(api), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    try:
        await stopped.wait()
    finally:
        await runner.cleanup()
        await api.stop()


@dataclass
class FakeLineProcess:
    """The benchmark's handle on the fake in its process: its address and what it received."""

    control: str  # http://host:port of the control server
    pid: int
    base_url: str = ""
    received: list[Received] = field(default_factory=list)  # everything answered so far

    def __post_init__(self) -> None:
        self.base_url = str(self._get("/healthz")["base_url"])

    def refresh(self) -> list[Received]:
        """`received`, brought up to date (only what is new crosses the socket)."""
        new = self._get(f"/received?since={len(self.received)}")
        self.received.extend(Received(*row) for row in new)
        return self.received

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.control + path, timeout=10) as answer:  # noqa: S310
            return json.load(answer)


@contextmanager
def fake_line_api(cpu: int | None) -> Iterator[FakeLineProcess]:
    """The fake LINE API in its own process pinned to `cpu`, stopped when the block ends."""

    def command(host: str, port: int) -> list[str]:
        return [sys.executable, "-m", "bench.peers.line_api", "--host", host, "--port", str(port)]

    with running(command, {}, cpu) as (process, (host, port)):
        yield FakeLineProcess(f"http://{host}:{port}", process.pid)


def main() -> None:
    """Serve until SIGTERM."""
    import uvloop

    arguments = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    arguments.add_argument("--host", default="127.0.0.1")
    arguments.add_argument("--port", type=int, required=True)
    options = arguments.parse_args()
    uvloop.run(serve(options.host, options.port))


if __name__ == "__main__":
    main()
