"""Telegram's one-off set-up: the webhook, the command menu, and the bot's status as reported.

The operator's commands (`citybot telegram …`) call these; nothing here prints or exits, and
every refusal (Telegram's or our own checks') is a `SetupError` whose message is the whole
explanation, with the token never in it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from bot.channels.telegram.api import connect
from bot.channels.telegram.updates import ALLOWED_UPDATES
from bot.channels.telegram.webhook import WEBHOOK_PATH
from bot.core.texts import Texts
from bot.settings import Settings
from db.enums import Language

T = TypeVar("T")

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


class SetupError(Exception):
    """Telegram refused, or the settings or content cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class BotStatus:
    """The bot's account and webhook as Telegram reports them."""

    username: str | None
    user_id: int
    joins_groups: bool
    webhook_url: str
    pending_updates: int
    allowed_updates: tuple[str, ...]
    last_error_at: datetime | None
    last_error: str | None


def require_token(settings: Settings) -> None:
    """A SetupError unless Telegram is configured."""
    if settings.telegram_bot_token is None:
        raise SetupError("TELEGRAM_BOT_TOKEN is not set")


async def _call(settings: Settings, work: Callable[[Bot], Awaitable[T]]) -> T:
    """Run `work` with a connected Bot; Telegram's refusals become SetupErrors."""
    require_token(settings)
    client = connect(settings)
    try:
        return await work(client.bot)
    except TelegramError as error:
        token = settings.telegram_bot_token
        reason = str(error).replace(token.get_secret_value(), "***") if token else str(error)
        raise SetupError(f"the Telegram Bot API refused: {reason}") from None
    finally:
        await client.close()


def webhook_url(settings: Settings) -> tuple[str, str]:
    """The webhook's URL and secret; a SetupError when either is missing or unusable."""
    require_token(settings)
    if not settings.public_base_url:
        raise SetupError("PUBLIC_BASE_URL is required to register the webhook")
    if settings.telegram_webhook_secret is None:
        raise SetupError("TELEGRAM_WEBHOOK_SECRET is required to register the webhook")
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not SECRET_TOKEN.match(secret):
        raise SetupError(
            "TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (256 at most)"
        )
    return f"{settings.public_base_url}{WEBHOOK_PATH}", secret


async def set_webhook(settings: Settings, *, drop_pending: bool) -> str:
    """Point Telegram at our webhook with the secret header; the URL registered."""
    url, secret = webhook_url(settings)

    async def register(bot: Bot) -> bool:
        return await bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=drop_pending,
        )

    await _call(settings, register)
    return url


async def delete_webhook(settings: Settings, *, drop_pending: bool) -> None:
    """Remove the webhook, so the bot can be polled."""

    async def remove(bot: Bot) -> bool:
        return await bot.delete_webhook(drop_pending_updates=drop_pending)

    await _call(settings, remove)


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
    commands = []
    for key in texts.by_language[Language.TH]:
        parts = key.split(".")
        if len(parts) != 3 or parts[0] != "commands" or parts[2] != "help":
            continue
        name = parts[1]
        if not COMMAND_NAME.match(name):
            raise SetupError(f"content: command {name!r} is not a valid Telegram command name")
        description = menu_description(texts.get(language, key), name)
        if not description:
            description = texts.get(language, f"commands.{name}.label")
        commands.append(BotCommand(name, description))
    return commands


async def publish_commands(settings: Settings, texts: Texts) -> list[str]:
    """Publish the command menu in Thai, English and the default (Thai); the command names."""
    menus = {code: menu_commands(texts, language) for code, language in MENU_LANGUAGES}

    async def publish(bot: Bot) -> None:
        for code, commands in menus.items():
            await bot.set_my_commands(commands, language_code=code)

    await _call(settings, publish)
    return [command.command for command in menus["th"]]


async def bot_status(settings: Settings) -> BotStatus:
    """The bot's account and webhook state."""

    async def ask(bot: Bot) -> BotStatus:
        me, webhook = await bot.get_me(), await bot.get_webhook_info()
        return BotStatus(
            username=me.username,
            user_id=me.id,
            joins_groups=bool(me.can_join_groups),
            webhook_url=webhook.url,
            pending_updates=webhook.pending_update_count,
            allowed_updates=tuple(webhook.allowed_updates or ()),
            last_error_at=webhook.last_error_date,
            last_error=webhook.last_error_message,
        )

    return await _call(settings, ask)
