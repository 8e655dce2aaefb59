"""Issue 14: a question asked on LINE and answered on Telegram, through the real SDKs and fakes.

One bot with both platforms on, as `citybot serve` runs it: the asker talks on LINE (signed
webhooks in, line-bot-sdk out to the fake), the coordinator on Telegram (python-telegram-bot
against the fake Bot API). Each side's messages arrive on the other's platform.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from bot.core.clock import FrozenClock
from bot.web import create_web_app
from db.enums import Channel, Role, TicketStatus
from db.models import Ticket
from tests.channels.conftest import member_on
from tests.channels.line.conftest import LineHarness, line_settings, words
from tests.channels.telegram.conftest import TelegramHarness, telegram_settings
from tests.conftest import AppFactory
from tests.factories import Account
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import user_id
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.telegram_updates import TgUser

QUESTION = "ขอเบอร์โทรผู้ประสานงานภาคใต้หน่อยครับ"
COORDINATOR = TgUser(id=880001, first_name="Nok")


@dataclass
class Both:
    """The one bot, seen from LINE and from Telegram."""

    line: LineHarness
    telegram: TelegramHarness


@pytest.fixture
async def both(
    make_app: AppFactory,
    line_api: FakeLineApi,
    telegram_api: FakeTelegramApi,
    clock: FrozenClock,
) -> AsyncIterator[Both]:
    """The bot with LINE and Telegram on against the fakes, one web app for both webhooks."""
    app = await make_app(clock=clock, **line_settings(line_api), **telegram_settings(telegram_api))
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Both(
            line=LineHarness(app=app, api=line_api, client=client, clock=clock),
            telegram=TelegramHarness(app=app, api=telegram_api, client=client, clock=clock),
        )


async def ticket_of(both: Both) -> Ticket:
    """The one ticket, as stored now."""
    async with both.line.app.sessions() as session:
        (ticket,) = list(await session.scalars(select(Ticket)))
        return ticket


def sent_to(api: FakeTelegramApi, chat_id: int) -> list[str]:
    """The texts the bot sent to a Telegram chat, oldest first."""
    return [
        str(call.params.get("text"))
        for call in api.calls
        if call.method == "sendMessage" and call.params.get("chat_id") == chat_id
    ]


async def test_asked_on_line_answered_on_telegram_threaded_then_closed(
    both: Both, line_api: FakeLineApi, telegram_api: FakeTelegramApi
) -> None:
    """LINE question → Telegram notice with Reply → the reply pushed to LINE → answer back
    reaches Telegram → the asker closes on LINE and the coordinator hears of it."""
    asker = user_id()
    await member_on(both.line, "songkhla", Account(Channel.LINE, asker))
    await member_on(
        both.telegram, "depa", Account(Channel.TELEGRAM, str(COORDINATOR.id)), Role.COORDINATOR
    )

    shown = words(await both.line.says(asker, f"ถามเจ้าหน้าที่ {QUESTION}"))
    assert "ไม่พบคำตอบในคำถามที่พบบ่อย" in shown
    sent = words(await both.line.taps(asker, "ส่ง"))
    ticket = await ticket_of(both)
    assert f"เป็นคำถามเลขที่ #{ticket.id}" in sent
    (notice,) = sent_to(telegram_api, COORDINATOR.id)
    assert notice.startswith(f"❓ คำถามใหม่ #{ticket.id} จาก songkhla officer, จังหวัดสงขลา:\n")
    assert notice.endswith(QUESTION)

    await both.telegram.presses(COORDINATOR, f"ตอบ #{ticket.id}")
    assert sent_to(telegram_api, COORDINATOR.id)[-1].startswith(f"พิมพ์คำตอบของ #{ticket.id}")
    before = len(line_api.requests)
    await both.telegram.says(COORDINATOR, "โทร 02-141-7100 ต่อ 2 ครับ")
    to_line = [r for r in line_api.requests[before:] if r.endpoint == "push"]
    assert [r.json["to"] for r in to_line] == [asker]
    answer = words(to_line)
    assert answer.startswith(f"💬 คำตอบของคำถาม #{ticket.id}: {QUESTION}\n\n")
    assert "โทร 02-141-7100 ต่อ 2 ครับ\n— depa coordinator, depa" in answer
    assert "ตอบกลับ" in answer and "ปิดคำถาม" in answer
    assert (await ticket_of(both)).status is TicketStatus.ANSWERED

    await both.line.taps(asker, "ตอบกลับ")
    await both.line.says(asker, "ขอบคุณครับ โทรได้ช่วงไหน")
    assert "ตอบกลับในคำถาม" in sent_to(telegram_api, COORDINATOR.id)[-1]
    assert (await ticket_of(both)).status is TicketStatus.OPEN

    closed = words(await both.line.taps(asker, "ปิดคำถาม"))
    assert f"ปิดคำถาม #{ticket.id} แล้ว" in closed
    told = sent_to(telegram_api, COORDINATOR.id)[-1]
    assert told.startswith("songkhla officer (จังหวัดสงขลา) ปิดคำถาม")
    assert (await ticket_of(both)).status is TicketStatus.CLOSED
