"""`citybot telegram …`: register the webhook, publish the command menu, show the bot's status.

Thin: each command calls `bot.channels.telegram.setup` and prints. The SDK is imported inside
the commands, so the rest of the CLI starts without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer

from bot.cli.support import CommandError, load_cli_settings

T = TypeVar("T")

app = typer.Typer(help="The Telegram bot: webhook, command menu and status.", no_args_is_help=True)

DropPending = Annotated[
    bool,
    typer.Option("--drop-pending", help="Discard the updates Telegram holds for the bot."),
]


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run a set-up call; its refusals become one-line operator errors."""
    from bot.channels.telegram.setup import SetupError

    try:
        return asyncio.run(work)
    except SetupError as error:
        raise CommandError(str(error)) from None


@app.command("set-webhook")
def set_webhook(drop_pending: DropPending = False) -> None:
    """Point Telegram at ${PUBLIC_BASE_URL}/webhooks/telegram with the secret header."""
    from bot.channels.telegram import setup
    from bot.channels.telegram.updates import ALLOWED_UPDATES

    settings = load_cli_settings()
    url = _run(setup.set_webhook(settings, drop_pending=drop_pending))
    typer.echo(f"webhook set: {url}")
    typer.echo(f"updates: {', '.join(ALLOWED_UPDATES)}")
    if drop_pending:
        typer.echo("pending updates were dropped")


@app.command("delete-webhook")
def delete_webhook(drop_pending: DropPending = False) -> None:
    """Remove the webhook, so the bot can be polled (development)."""
    from bot.channels.telegram import setup

    _run(setup.delete_webhook(load_cli_settings(), drop_pending=drop_pending))
    typer.echo("webhook deleted" + ("; pending updates were dropped" if drop_pending else ""))


@app.command("set-commands")
def set_commands() -> None:
    """Publish the command menu in Thai and English (Thai for every other language)."""
    from bot.channels.telegram import setup
    from bot.core.texts import Texts

    settings = load_cli_settings()
    names = _run(setup.publish_commands(settings, Texts.load(settings.content_dir)))
    typer.echo(
        "command menu set in th, en and the default (th): " + " ".join(f"/{n}" for n in names)
    )


@app.command("info")
def info() -> None:
    """Show the bot's name and its webhook's state as Telegram reports them."""
    from bot.channels.telegram import setup

    settings = load_cli_settings()
    status = _run(setup.bot_status(settings))
    typer.echo(
        f"bot: @{status.username} (id {status.user_id}), joins groups: {status.joins_groups}"
    )
    typer.echo(f"webhook: {status.webhook_url or 'none (updates are polled)'}")
    typer.echo(f"pending updates: {status.pending_updates}")
    if status.allowed_updates:
        typer.echo(f"allowed updates: {', '.join(status.allowed_updates)}")
    if status.last_error_at is not None:
        when = status.last_error_at.astimezone(settings.timezone).isoformat(timespec="minutes")
        typer.echo(f"last error: {when} {status.last_error or ''}".rstrip())
    configured = (settings.telegram_bot_username or "").removeprefix("@")
    if configured and status.username and configured.casefold() != status.username.casefold():
        typer.echo(
            f"warning: TELEGRAM_BOT_USERNAME is {configured!r}, Telegram says {status.username!r}"
        )
