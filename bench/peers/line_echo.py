"""An echo bot written the way the LINE SDK's own `aiohttp-echo` example is: the yardstick.

What the SDK's authors show as the way to answer LINE from Python: an aiohttp application whose
webhook handler checks the signature with `WebhookParser`, then awaits one reply per text message
through `AsyncMessagingApi` before it answers 200. Nothing is stored, so a webhook that arrives
while the process is busy waits in the socket and its reply waits with it; the bot is measured
against this to see what its durable inbox costs, or saves, under the same load.

It differs from the example only where the benchmark needs it: it listens on the bot's webhook
path (so the same signed requests go to both), has `GET /healthz` (so the benchmark knows when it
is up), takes LINE's API host from LINE_API_BASE_URL (the fake LINE API), and logs no access
lines (as `citybot serve` runs in the benchmark). It runs as the example does: `web.run_app` on
the default asyncio event loop.

    LINE_CHANNEL_SECRET=… LINE_CHANNEL_ACCESS_TOKEN=… LINE_API_BASE_URL=http://127.0.0.1:9000 \
        python -m bench.peers.line_echo --port 8000
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import AsyncIterator

from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, TextMessageContent

WEBHOOK_PATH = "/webhooks/line"  # the bot's, so one set of signed requests serves both
MESSAGING_API = web.AppKey("messaging_api", AsyncMessagingApi)


def create_app(secret: str, access_token: str, api_base_url: str) -> web.Application:
    """The echo bot: replies to each text message with its text, through the reply token."""
    parser = WebhookParser(secret)
    configuration = Configuration(access_token=access_token, host=api_base_url)

    async def messaging_api(app: web.Application) -> AsyncIterator[None]:
        # The SDK's client opens an aiohttp session, which belongs to the running loop.
        async with AsyncApiClient(configuration) as client:
            app[MESSAGING_API] = AsyncMessagingApi(client)
            yield

    async def webhook(request: web.Request) -> web.Response:
        body = await request.text()
        try:
            events = parser.parse(body, request.headers.get("X-Line-Signature", ""))
        except InvalidSignatureError:
            return web.Response(status=400, text="Invalid signature")
        for event in events:
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                await request.app[MESSAGING_API].reply_message(
                    ReplyMessageRequest(
                        reply_token=event.reply_token,
                        messages=[TextMessage(text=event.message.text)],
                    )
                )
        return web.Response(text="OK")

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="OK")

    app = web.Application()
    app.cleanup_ctx.append(messaging_api)
    app.add_routes([web.post(WEBHOOK_PATH, webhook), web.get("/healthz", healthz)])
    return app


def command(host: str, port: int) -> list[str]:
    """How to start it on host:port (`bench.load.running`), configured by the environment."""
    return [sys.executable, "-m", "bench.peers.line_echo", "--host", host, "--port", str(port)]


def main() -> None:
    """Serve on --host/--port, configured by the environment like the example."""
    arguments = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    arguments.add_argument("--host", default="127.0.0.1")
    arguments.add_argument("--port", type=int, default=8000)
    options = arguments.parse_args()
    app = create_app(
        os.environ["LINE_CHANNEL_SECRET"],
        os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
        os.environ.get("LINE_API_BASE_URL", "https://api.line.me"),
    )
    web.run_app(app, host=options.host, port=options.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
