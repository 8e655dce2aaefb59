"""The ASGI app: the channels' webhooks, the probes, the fonts and, in development, the simulator.

Plain Starlette: every route is a platform, a probe or the simulator's small JSON API, so a
framework's request models and API docs would buy nothing, and cost start-up time and 10 MB.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Lifespan, Receive, Scope, Send

from bot.app import App
from bot.channels.simulator import SimulatorChannel, simulator_routes
from bot.core.channel import WebhookEndpoint
from bot.web.calendar import calendar_routes
from bot.web.dashboard import dashboard_routes
from bot.web.fonts import font_routes
from bot.web.health import health_routes
from bot.web.opendata import opendata_routes

SIMULATOR_PATH = "/simulator"


class WebApp(Starlette):
    """Starlette, with the channels' webhooks answered ahead of its middleware and router.

    Platforms wait on every webhook and send them by the thousand, and the error and exception
    middleware and the route search cost more per request than the webhook itself, which only
    checks, stores and acknowledges. The webhook endpoints answer their own errors (400, 401,
    403, 500); uvicorn answers 500 to anything that escapes. Every other request, and a webhook
    path asked with another method (405), goes through Starlette as usual.
    """

    def __init__(
        self,
        *,
        webhooks: Mapping[str, WebhookEndpoint],
        routes: Sequence[BaseRoute],
        lifespan: Lifespan[Starlette],
    ) -> None:
        posts = [Route(path, endpoint, methods=["POST"]) for path, endpoint in webhooks.items()]
        super().__init__(routes=[*posts, *routes], lifespan=lifespan)
        self._webhooks = dict(webhooks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Webhook POSTs straight to their endpoint; everything else to Starlette."""
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self._webhooks.get(scope["path"])
            if endpoint is not None:
                response = await endpoint(Request(scope, receive))
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


YOUNG_COLLECTION_THRESHOLD = 20_000  # allocations between collections of the youngest objects


def create_web_app(app: App, *, loops: bool = True) -> WebApp:
    """The web app serving `app`; its lifespan starts and closes `app`.

    `loops=False` starts the channels without the inbox, outbox and scheduler loops (the
    webhook benchmark measures acknowledgement alone).
    """

    @asynccontextmanager
    async def lifespan(_web: Starlette) -> AsyncIterator[None]:
        await app.start(loops=loops)
        # Everything built at start-up lives as long as the process: freezing it keeps the
        # garbage collector's full passes (100 ms and more) off the webhook path. No collection
        # first: it finds a few dozen objects among 200,000 and would delay readiness by 90 ms.
        gc.freeze()
        # A served event allocates thousands of short-lived objects (rows, replies, requests):
        # at the default threshold of 700 the collector ran every few events, and its older
        # generations after them.
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
        try:
            yield
        finally:
            await app.close()

    routes: list[BaseRoute] = [
        *health_routes(app),
        *font_routes(),
        *calendar_routes(app),
        *dashboard_routes(app),
        *opendata_routes(app),
    ]
    if app.settings.simulator_enabled:
        routes += _simulator(app)
    webhooks = {
        hook.path: hook.endpoint
        for hook in (adapter.webhook for adapter in app.adapters.values())
        if hook is not None
    }
    web = WebApp(webhooks=webhooks, routes=routes, lifespan=lifespan)
    web.state.app = app
    return web


def _simulator(app: App) -> list[BaseRoute]:
    """The simulator's page and API, and `/` leading to it: in development it is the front page."""

    async def front(_request: Request) -> RedirectResponse:
        """`GET /` opens the simulator (the first address a developer tries)."""
        return RedirectResponse(SIMULATOR_PATH)

    return [
        Route("/", front, methods=["GET"]),
        *simulator_routes(app.answer_in_person(SimulatorChannel), sessions=app.sessions),
    ]
