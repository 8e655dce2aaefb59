"""`citybot serve` and `citybot worker`: the long-running processes."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from bot.app import App, require_sqlite_directory
from bot.cli.support import CommandError, database_errors, load_cli_settings, shown_url

log = logging.getLogger("bot.cli")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8080,
) -> None:
    """Run the web app (webhooks, health, simulator), workers and scheduler in one process."""
    import uvicorn

    from bot.web import create_web_app
    from bot.web.port import port_taken

    if (taken := port_taken(host, port)) is not None:
        raise CommandError(taken)
    settings = load_cli_settings().model_copy(
        update={"citybot_serving_url": f"http://{host}:{port}"}
    )
    require_sqlite_directory(settings.database_url)
    web = create_web_app(App.create(settings))
    log.info("serving on http://%s:%d (database %s)", host, port, shown_url(settings))
    if settings.simulator_enabled:
        log.info("simulator: http://%s:%d/simulator", host, port)
    # log_config=None: uvicorn's loggers go through our redacting, one-line handler. No access
    # log: a line per webhook would cost more than storing the webhook does.
    uvicorn.run(web, host=host, port=port, log_config=None, access_log=False)


def worker() -> None:
    """Deliver without the web server: inbox, outbox workers and the scheduler (Ctrl-C stops).

    Run several on one PostgreSQL database to share the load; claims keep every message single.
    """
    settings = load_cli_settings()

    async def work() -> None:
        app = App.create(settings)
        if not app.adapters:
            await app.close()
            raise CommandError(
                "neither LINE nor Telegram is configured: a worker would have nothing to deliver"
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await app.start()
        log.info("worker: delivering on %s", ", ".join(c.value for c in app.adapters))
        try:
            await stop.wait()
        finally:
            log.info("worker: stopping")
            await app.close()

    with database_errors(settings):
        asyncio.run(work())


def register(cli: typer.Typer) -> None:
    """Add `serve` and `worker` to the root command."""
    cli.command()(serve)
    cli.command()(worker)
