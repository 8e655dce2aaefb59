"""Issue 11 D5 over Telegram: no idempotency key, so a kill repeats at most what was in flight."""

from __future__ import annotations

from datetime import timedelta

from bot.core.channel import Outcome
from bot.core.clock import FrozenClock
from bot.core.replies import Text
from bot.delivery.worker import DEFAULT_LEASE, delivery_of
from db.enums import Channel, OutboxStatus
from tests.channels.telegram.conftest import SOMCHAI, TelegramHarness, telegram_settings
from tests.chaos import claimed_then_killed
from tests.conftest import AppFactory


def _texts(telegram: TelegramHarness) -> list[str]:
    return [call.params["text"] for call in telegram.api.delivered()]


async def test_issue11_d5_a_send_cut_off_by_a_kill_goes_out_at_most_once_more(
    telegram: TelegramHarness,
) -> None:
    """Killed after sendMessage went out: the restart sends it again, once, and settles it."""
    message_id = await telegram.queue(SOMCHAI.id, Text(text="แจ้งเตือนกำหนดส่งแผน"))
    (message,) = await claimed_then_killed(telegram.app.sessions, telegram.clock.now())
    adapter = telegram.app.adapters[Channel.TELEGRAM]
    assert (await adapter.send(delivery_of(message))).outcome is Outcome.SENT  # then the kill
    await telegram.app.drain()
    assert len(_texts(telegram)) == 1  # the dead worker's lease still holds it
    telegram.clock.advance(DEFAULT_LEASE + timedelta(seconds=1))
    await telegram.app.drain()
    assert _texts(telegram) == ["แจ้งเตือนกำหนดส่งแผน"] * 2  # the one duplicate Telegram allows
    assert (await telegram.outbox_row(message_id)).status is OutboxStatus.SENT


async def test_issue11_d5_parts_sent_before_a_failure_are_not_repeated_after_a_restart(
    telegram: TelegramHarness, make_app: AppFactory, clock: FrozenClock
) -> None:
    """500 on the second text, then a new process: it sends only the second (kept in the row)."""
    message_id = await telegram.queue(SOMCHAI.id, Text(text="ข้อแรก"), Text(text="ข้อสอง"))
    telegram.api.fail("sendMessage", 500, "Internal Server Error", skip=1)
    await telegram.app.drain()
    assert (await telegram.outbox_row(message_id)).status is OutboxStatus.PENDING
    await telegram.app.close()  # the process ends; what it knew in memory is gone

    restarted = await make_app(clock=clock, **telegram_settings(telegram.api))
    clock.advance(timedelta(minutes=5))
    await restarted.drain()
    assert _texts(telegram) == ["ข้อแรก", "ข้อสอง"]
    assert (await telegram.outbox_row(message_id)).status is OutboxStatus.SENT
