"""The Bot API client: python-telegram-bot's `Bot`, pointed and timed as the settings say.

Every request has an explicit timeout, so a hung connection costs one outbox attempt, not a
worker; the long poll gets its own connection so it never waits behind (or blocks) a send.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.settings import Settings

# Connections for sends: the outbox worker runs up to 32 sends at once.
SEND_CONNECTIONS = 64


def bot_id_from_token(token: str) -> int | None:
    """The bot's user id, which is the token's part before the colon (no getMe needed)."""
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else None


def file_base_url(base_url: str) -> str:
    """The file download base that belongs to an API base (`…/bot` → `…/file/bot`)."""
    return base_url[: -len("bot")] + "file/bot" if base_url.endswith("/bot") else base_url


@dataclass
class BotClient:
    """A `Bot` and the HTTP connections it owns; `close` releases them."""

    bot: Bot
    requests: tuple[HTTPXRequest, ...]

    async def close(self) -> None:
        """Close the connection pools (safe to call twice)."""
        await asyncio.gather(*(request.shutdown() for request in self.requests))


def connect(settings: Settings) -> BotClient:
    """A Bot for the configured token and API base; nothing is sent until first use."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    timeout = settings.citybot_request_timeout_seconds
    sends = HTTPXRequest(
        connection_pool_size=SEND_CONNECTIONS,
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
        pool_timeout=timeout,
    )
    # python-telegram-bot adds the long-poll duration to this read timeout for getUpdates. With
    # webhooks nobody polls, and a pool of its own (and its TLS context) would only slow start-up.
    updates = (
        HTTPXRequest(
            connection_pool_size=1,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
        )
        if settings.telegram_polling
        else sends
    )
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        base_file_url=file_base_url(settings.telegram_api_base_url),
        request=sends,
        get_updates_request=updates,
    )
    return BotClient(bot=bot, requests=(sends,) if updates is sends else (sends, updates))
