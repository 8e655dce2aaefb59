"""The bot with Telegram enabled, talking to a fake Bot API on loopback through the real SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.core.clock import FrozenClock
from bot.core.replies import Reply
from bot.core.settling import reply_payload
from bot.web import create_web_app
from db.enums import Channel, Language
from db.models import Identity, InboundEvent, Member, OutboundMessage
from db.repositories.outbox import enqueue
from tests.conftest import AppFactory
from tests.fakes.telegram_api import TOKEN, FakeTelegramApi
from tests.fakes.telegram_updates import TgUser, Updates

SECRET = "webhook-secret_0123456789"
SOMCHAI = TgUser(id=5550001, first_name="สมชาย", last_name="ใจดี", language_code="th")
ANNA = TgUser(id=5550002, first_name="Anna", language_code="en")


def telegram_settings(api: FakeTelegramApi, **overrides: Any) -> dict[str, Any]:
    """Settings that enable Telegram against the fake (webhook mode unless overridden)."""
    settings: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": api.base_url,
        "telegram_webhook_secret": SECRET,
        "telegram_bot_username": api.username,
    }
    settings.update(overrides)
    return settings


@dataclass
class TelegramHarness:
    """The whole bot in webhook mode: post updates as Telegram would, read what the fake got."""

    app: App
    api: FakeTelegramApi
    client: httpx.AsyncClient
    clock: FrozenClock
    updates: Updates = field(default_factory=Updates)

    async def post(self, body: Any, *, secret: str | None = SECRET, raw: bool = False) -> int:
        """POST a webhook request; the HTTP status."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        if raw:
            response = await self.client.post(
                "/webhooks/telegram",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
        else:
            response = await self.client.post("/webhooks/telegram", json=body, headers=headers)
        return response.status_code

    async def deliver(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Post `update`, let the bot work, and return the calls it made to the Bot API."""
        before = len(self.api.calls)
        assert await self.post(update) == 200
        await self.app.drain()
        return [{"method": call.method, **call.params} for call in self.api.calls[before:]]

    async def says(
        self, user: TgUser, text: str, chat: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """`user` types `text` (in their private chat unless `chat` is a group)."""
        return await self.deliver(self.updates.text(user, text, chat))

    def last_keyboard_message(self, chat_id: int, label: str) -> tuple[dict[str, Any], str]:
        """The latest message the bot sent to `chat_id` with a button `label`, and its data."""
        for call in reversed(self.api.calls):
            if call.method != "sendMessage" or call.params["chat_id"] != chat_id:
                continue
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for key in row:
                    if key["text"] == label and "callback_data" in key:
                        return call.result, key["callback_data"]
        raise AssertionError(f"no button {label!r} in the messages to {chat_id}")

    async def presses(
        self, user: TgUser, label: str, chat_id: int | None = None
    ) -> list[dict[str, Any]]:
        """`user` presses the button `label` on the latest message that shows it."""
        where = chat_id if chat_id is not None else user.id
        sent, data = self.last_keyboard_message(where, label)
        return await self.deliver(self.updates.button_press(user, sent, data))

    async def queue(self, chat_id: int, *replies: Reply, key: str = "test") -> int:
        """Put a message in the outbox as an announcement would; its id."""
        async with self.app.sessions() as session, session.begin():
            await enqueue(
                session=session,
                channel=Channel.TELEGRAM,
                recipients=[str(chat_id)],
                payload=reply_payload(replies, {}),
                idempotency_key=f"{key}:{chat_id}",
                now=self.clock.now(),
            )
            message_id = await session.scalar(
                select(OutboundMessage.id).where(
                    OutboundMessage.idempotency_key == f"{key}:{chat_id}"
                )
            )
        assert message_id is not None
        return int(message_id)

    async def outbox_row(self, message_id: int) -> OutboundMessage:
        """The outbox row `message_id` as stored now."""
        async with self.app.sessions() as session:
            row = await session.get(OutboundMessage, message_id)
        assert row is not None
        return row

    async def register(self, user: TgUser, code: str) -> None:
        """Register `user` by deep link (`/start CODE`) and the consent button."""
        await self.says(user, f"/start {code}")
        language = Language.EN if user.language_code == "en" else Language.TH
        await self.presses(
            user, self.app.dispatcher.services.texts.get(language, "consent.accept")
        )
        assert await self.member_of(user) is not None

    async def member_of(self, user: TgUser) -> Member | None:
        """The member registered through `user`'s Telegram account, if any."""
        async with self.app.sessions() as session:
            return await session.scalar(
                select(Member)
                .join(Identity, Identity.member_id == Member.id)
                .where(Identity.channel == Channel.TELEGRAM, Identity.external_id == str(user.id))
            )

    async def identity_of(self, user: TgUser) -> Identity:
        """`user`'s Telegram chat account as stored."""
        async with self.app.sessions() as session:
            identity = await session.scalar(
                select(Identity).where(
                    Identity.channel == Channel.TELEGRAM, Identity.external_id == str(user.id)
                )
            )
        assert identity is not None
        return identity

    async def inbox_rows(self) -> int:
        """How many Telegram updates the inbox holds."""
        async with self.app.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(InboundEvent)
                .where(InboundEvent.channel == Channel.TELEGRAM)
            )
        return int(count or 0)


def texts_of(calls: list[dict[str, Any]]) -> list[str]:
    """The texts of the sendMessage calls among `calls`."""
    return [call["text"] for call in calls if call["method"] == "sendMessage"]


def methods_of(calls: list[dict[str, Any]]) -> list[str]:
    """The Bot API methods called, in order."""
    return [call["method"] for call in calls]


@pytest.fixture
async def telegram(
    make_app: AppFactory, telegram_api: FakeTelegramApi, clock: FrozenClock
) -> AsyncIterator[TelegramHarness]:
    """The bot in webhook mode against the fake Bot API, on each database."""
    app = await make_app(clock=clock, **telegram_settings(telegram_api))
    web = create_web_app(app)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield TelegramHarness(app=app, api=telegram_api, client=client, clock=clock)
