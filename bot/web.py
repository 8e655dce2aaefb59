"""The ASGI app: health and readiness now; webhooks and the simulator join it later."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot.app import App
from bot.channels.simulator import simulator_router

log = logging.getLogger(__name__)

# A load balancer probes often; a database slower than this is not ready for webhooks either
# (LINE gives up on a webhook after 2 s).
READY_TIMEOUT_SECONDS = 2.0


def create_web_app(app: App, *, loops: bool = True) -> FastAPI:
    """The FastAPI app serving `app`; its lifespan starts and closes `app`.

    `loops=False` starts the channels without the inbox, outbox and scheduler loops (the
    webhook benchmark measures acknowledgement alone).
    """

    @asynccontextmanager
    async def lifespan(_web: FastAPI) -> AsyncIterator[None]:
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
    web = FastAPI(
        title="Smart City Connect",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    web.state.app = app
    for adapter in app.adapters.values():
        adapter.mount(web)
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
