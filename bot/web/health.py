"""The health and readiness probes a load balancer or supervisor asks."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.app import App

log = logging.getLogger(__name__)

# A load balancer probes often; a database slower than this is not ready for webhooks either
# (LINE gives up on a webhook after 2 s).
READY_TIMEOUT_SECONDS = 2.0


def health_routes(app: App) -> list[Route]:
    """`GET /healthz` (the process serves) and `GET /readyz` (its database answers too)."""

    async def healthz(_request: Request) -> JSONResponse:
        """The process is up and serving; says nothing about the database."""
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        """Ready when the database answers quickly; 503 with a reason otherwise.

        A ready answer also tells the inbox's backlog: events acknowledged and not yet handled,
        and how long the oldest has waited, for an operator or an autoscaler to watch.
        """
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
        return JSONResponse({"status": "ok", "backlog": await app.inbox.backlog()})

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]


def _unavailable(reason: str) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
