"""The ASGI app: the channels' webhooks, health and readiness probes, the simulator.

Plain Starlette: every route is a platform, a probe or the simulator's small JSON API, so a
framework's request models and API docs would buy nothing, and cost start-up time and 10 MB.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Lifespan, Receive, Scope, Send

from bot.app import App
from bot.channels.simulator import SimulatorChannel, simulator_routes
from bot.core.channel import WebhookEndpoint

log = logging.getLogger(__name__)

# A load balancer probes often; a database slower than this is not ready for webhooks either
# (LINE gives up on a webhook after 2 s).
READY_TIMEOUT_SECONDS = 2.0


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
        try:
            yield
        finally:
            await app.close()

    async def healthz(_request: Request) -> JSONResponse:
        """The process is up and serving; says nothing about the database."""
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        """Ready when the database answers quickly; 503 with a reason otherwise."""
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                await app.check_database()
        except TimeoutError:
            log.warning("readyz: database did not answer within %.1f s", READY_TIMEOUT_SECONDS)
            return _unavailable(f"database did not answer within {READY_TIMEOUT_SECONDS:g} s")
        except Exception as error:  # any failure means not ready; the log says which
            log.warning("readyz: database unreachable: %s", error)
            # The detail stays in the log: a public probe should not describe the database.
            return _unavailable(f"database unreachable ({type(error).__name__})")
        return JSONResponse({"status": "ok"})

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if app.settings.simulator_enabled:
        routes += simulator_routes(app.answer_in_person(SimulatorChannel), sessions=app.sessions)
    webhooks = {
        hook.path: hook.endpoint
        for hook in (adapter.webhook for adapter in app.adapters.values())
        if hook is not None
    }
    web = WebApp(webhooks=webhooks, routes=routes, lifespan=lifespan)
    web.state.app = app
    return web


def _unavailable(reason: str) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
