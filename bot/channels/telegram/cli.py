"""`citybot telegram …`: register the webhook, publish the command menu, show the bot's status.

python-telegram-bot is imported inside the commands, so the rest of the CLI starts without it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.cli_support import CommandError, load_cli_settings
from bot.settings import Settings
from db.enums import Language

if TYPE_CHECKING:
    from telegram import Bot, BotCommand

    from bot.core.texts import Texts

T = TypeVar("T")

telegram_cli = typer.Typer(
    help="The Telegram bot: webhook, command menu and status.", no_args_is_help=True
)

# Telegram's rules (Bot API setWebhook, BotCommand).
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
DESCRIPTION_LIMIT = 256
# The menu per language: Thai first, and Thai for clients in any other language.
MENU_LANGUAGES: tuple[tuple[str | None, Language], ...] = (
    ("th", Language.TH),
    ("en", Language.EN),
    (None, Language.TH),
)


def _settings() -> Settings:
    """Settings with Telegram configured, and logging that redacts the token."""
    settings = load_cli_settings()
    if settings.telegram_bot_token is None:
        raise CommandError("TELEGRAM_BOT_TOKEN is not set")
    return settings


def _call(settings: Settings, work: Callable[[Bot], Awaitable[T]]) -> T:
    """Run `work` with a connected Bot; Telegram's refusals become one-line operator errors."""
    from telegram.error import TelegramError

    from bot.channels.telegram.api import connect

    async def run() -> T:
        client = connect(settings)
        try:
            return await work(client.bot)
        finally:
            await client.close()

    try:
        return asyncio.run(run())
    except TelegramError as error:
        token = settings.telegram_bot_token
        reason = str(error).replace(token.get_secret_value(), "***") if token else str(error)
        raise CommandError(f"the Telegram Bot API refused: {reason}") from None


def menu_description(help_text: str, name: str) -> str:
    """A command's menu line from its help text: `/start CODE — register` → `CODE — register`.

    The menu shows the command already, so the help text loses its leading `/name`.
    """
    text = help_text.strip()
    if text.startswith(f"/{name}"):
        text = text[len(name) + 1 :].strip()
    text = text.removeprefix("—").removeprefix("-").strip()
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"
    return text


def menu_commands(texts: Texts, language: Language) -> list[BotCommand]:
    """Every command with a help text in content/, in content order, for `language`."""
    from telegram import BotCommand

    commands = []
    for key in texts.by_language[Language.TH]:
        parts = key.split(".")
        if len(parts) != 3 or parts[0] != "commands" or parts[2] != "help":
            continue
        name = parts[1]
        if not COMMAND_NAME.match(name):
            raise CommandError(f"content: command {name!r} is not a valid Telegram command name")
        description = menu_description(texts.get(language, key), name)
        if not description:
            description = texts.get(language, f"commands.{name}.label")
        commands.append(BotCommand(name, description))
    return commands


DropPending = Annotated[
    bool, typer.Option("--drop-pending", help="Discard the updates Telegram holds for the bot.")
]


@telegram_cli.command("set-webhook")
def set_webhook(
    drop_pending: DropPending = False,
) -> None:
    """Point Telegram at ${PUBLIC_BASE_URL}/webhooks/telegram with the secret header."""
    from bot.channels.telegram.updates import ALLOWED_UPDATES
    from bot.channels.telegram.webhook import WEBHOOK_PATH

    settings = _settings()
    if not settings.public_base_url:
        raise CommandError("PUBLIC_BASE_URL is required to register the webhook")
    if settings.telegram_webhook_secret is None:
        raise CommandError("TELEGRAM_WEBHOOK_SECRET is required to register the webhook")
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not SECRET_TOKEN.match(secret):
        raise CommandError(
            "TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (256 at most)"
        )
    url = f"{settings.public_base_url}{WEBHOOK_PATH}"

    async def register(bot: Bot) -> bool:
        return await bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=drop_pending,
        )

    _call(settings, register)
    typer.echo(f"webhook set: {url}")
    typer.echo(f"updates: {', '.join(ALLOWED_UPDATES)}")
    if drop_pending:
        typer.echo("pending updates were dropped")


@telegram_cli.command("delete-webhook")
def delete_webhook(
    drop_pending: DropPending = False,
) -> None:
    """Remove the webhook, so the bot can be polled (development)."""
    settings = _settings()

    async def remove(bot: Bot) -> bool:
        return await bot.delete_webhook(drop_pending_updates=drop_pending)

    _call(settings, remove)
    typer.echo("webhook deleted" + ("; pending updates were dropped" if drop_pending else ""))


@telegram_cli.command("set-commands")
def set_commands() -> None:
    """Publish the command menu in Thai and English (Thai for every other language)."""
    from bot.core.texts import Texts

    settings = _settings()
    texts = Texts.load(settings.content_dir)
    menus = {code: menu_commands(texts, language) for code, language in MENU_LANGUAGES}

    async def publish(bot: Bot) -> None:
        for code, commands in menus.items():
            await bot.set_my_commands(commands, language_code=code)

    _call(settings, publish)
    names = " ".join(f"/{command.command}" for command in menus["th"])
    typer.echo(f"command menu set in th, en and the default (th): {names}")


@telegram_cli.command("info")
def info() -> None:
    """Show the bot's name and its webhook's state as Telegram reports them."""
    from telegram import User, WebhookInfo

    settings = _settings()

    async def ask(bot: Bot) -> tuple[User, WebhookInfo]:
        return await bot.get_me(), await bot.get_webhook_info()

    me, webhook = _call(settings, ask)
    typer.echo(f"bot: @{me.username} (id {me.id}), joins groups: {bool(me.can_join_groups)}")
    typer.echo(f"webhook: {webhook.url or 'none (updates are polled)'}")
    typer.echo(f"pending updates: {webhook.pending_update_count}")
    if webhook.allowed_updates:
        typer.echo(f"allowed updates: {', '.join(webhook.allowed_updates)}")
    if webhook.last_error_date is not None:
        when = webhook.last_error_date.astimezone(settings.timezone).isoformat(timespec="minutes")
        typer.echo(f"last error: {when} {webhook.last_error_message or ''}".rstrip())
    configured = (settings.telegram_bot_username or "").removeprefix("@")
    if configured and me.username and configured.casefold() != me.username.casefold():
        typer.echo(
            f"warning: TELEGRAM_BOT_USERNAME is {configured!r}, Telegram says {me.username!r}"
        )
