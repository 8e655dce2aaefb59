"""The ASGI app: the channels' webhooks, health and readiness probes, the simulator."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from types import MappingProxyType

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.app import App
from bot.channels.simulator import simulator_router

log = logging.getLogger(__name__)

# A load balancer probes often; a database slower than this is not ready for webhooks either
# (LINE gives up on a webhook after 2 s).
READY_TIMEOUT_SECONDS = 2.0

Endpoint = Callable[[Request], Awaitable[Response]]


class WebApp(FastAPI):
    """FastAPI, except that the channels' webhooks bypass its middleware and router.

    Platforms wait on every webhook and send them by the thousand, and FastAPI's layers (error
    pages, telemetry, body limits, routing) cost more per request than the webhook itself, which
    only checks, stores and acknowledges. The webhook endpoints answer their own errors (400,
    401, 403, 500); uvicorn answers 500 to anything that escapes. Every other request, and a
    webhook path asked with another method, goes through FastAPI as usual.
    """

    _webhooks: Mapping[str, Endpoint] = MappingProxyType({})

    def serve_webhooks_first(self) -> None:
        """Answer the channels' webhook routes mounted so far ahead of FastAPI.

        A webhook route is how the channels mount theirs: a bare route (`add_route`), POST
        only, on an exact path, to an async `Request -> Response` endpoint.
        """
        self._webhooks = {
            route.path: route.endpoint
            for route in self.routes
            if type(route) is Route  # not a FastAPI path operation, which validates its input
            and route.methods == {"POST"}
            and not route.param_convertors
            and inspect.iscoroutinefunction(route.endpoint)
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
    async def lifespan(_web: WebApp) -> AsyncIterator[None]:
        await app.start(loops=loops)
        # Everything built at start-up lives as long as the process: freezing it keeps the
        # garbage collector's full passes (100 ms and more) off the webhook path.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await app.close()

    # No interactive API docs: the routes are for platforms and probes, not for browsing.
    web = WebApp(
        title="Smart City Connect",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    web.state.app = app
    for adapter in app.adapters.values():
        adapter.mount(web)
    web.serve_webhooks_first()
    if app.settings.simulator_enabled:
        web.include_router(simulator_router(dispatcher=app.dispatcher, sessions=app.sessions))

    @web.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up and serving; says nothing about the database."""
        return {"status": "ok"}

    @web.get("/readyz")
    async def readyz() -> JSONResponse:
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

    return web


def _unavailable(reason: str) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
