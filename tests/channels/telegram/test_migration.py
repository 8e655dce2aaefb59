"""A group upgraded to a supergroup: its city, its queued messages and its sends follow the new id.

Telegram gives the upgraded group a new chat id, says so in the old group (`migrate_to_chat_id`)
and in the new one (`migrate_from_chat_id`), and refuses sends to the old id from then on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.replies import Text
from db.enums import Channel, OutboxStatus, Role
from db.models import AuditLog, Chat, Organisation
from tests.channels.telegram.conftest import ANNA, SOMCHAI, TelegramHarness
from tests.conftest import InviteFactory
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.telegram_updates import basic_group_chat, group_chat

OLD = -4012345678
NEW = -1009876543210


async def bind_basic_group(telegram: TelegramHarness, make_invite: InviteFactory) -> None:
    """An officer makes the basic group OLD Khon Kaen's team chat."""
    code = await make_invite("khon-kaen", Role.OFFICER)
    group = basic_group_chat(OLD)
    await telegram.says(SOMCHAI, f"/start@{telegram.api.username} {code}", chat=group)
    assert await group_chats(telegram) == {str(OLD): "khon-kaen"}


async def group_chats(telegram: TelegramHarness) -> dict[str, str | None]:
    """Every Telegram group the bot knows, by chat id, with the city it is bound to."""
    async with telegram.app.sessions() as session:
        rows = await session.execute(
            select(Chat.external_id, Organisation.slug)
            .outerjoin(Organisation, Organisation.id == Chat.organisation_id)
            .where(Chat.channel == Channel.TELEGRAM, Chat.external_id.startswith("-"))
        )
        return dict(rows.all())


async def moves_audited(telegram: TelegramHarness) -> list[dict[str, Any]]:
    """The details of every `chat.move` audit entry."""
    async with telegram.app.sessions() as session:
        return list(
            await session.scalars(select(AuditLog.details).where(AuditLog.action == "chat.move"))
        )


async def upgrade(telegram: TelegramHarness, notices: Sequence[str]) -> None:
    """Telegram's notices of the upgrade reach the webhook (in this order); the bot works."""
    made = {
        "to": lambda: telegram.updates.migrated_to(SOMCHAI, basic_group_chat(OLD), NEW),
        "from": lambda: telegram.updates.migrated_from(SOMCHAI, group_chat(NEW), OLD),
    }
    for notice in notices:
        assert await telegram.post(made[notice]()) == 200
    await telegram.app.drain()


@pytest.mark.parametrize("notices", [["to", "from"], ["from", "to"], ["to"], ["from"]])
async def test_an_upgraded_group_keeps_its_city_and_its_queued_messages(
    telegram: TelegramHarness, make_invite: InviteFactory, notices: list[str]
) -> None:
    """Either notice moves the bound chat to the new id, and a queued message goes there."""
    await bind_basic_group(telegram, make_invite)
    sent_before = len(telegram.api.messages_to(OLD))
    message_id = await telegram.queue(OLD, Text(text="ประชุมทีมพรุ่งนี้ 10 โมง"), key="meeting")

    await upgrade(telegram, notices)

    assert await group_chats(telegram) == {str(NEW): "khon-kaen"}
    row = await telegram.outbox_row(message_id)
    assert row.status is OutboxStatus.SENT
    assert row.recipients == [str(NEW)]
    assert [m["text"] for m in telegram.api.messages_to(NEW)] == ["ประชุมทีมพรุ่งนี้ 10 โมง"]
    assert len(telegram.api.messages_to(OLD)) == sent_before
    assert await moves_audited(telegram) == [{"from": str(OLD), "to": str(NEW), "queued": 1}]


async def test_a_supergroup_heard_from_before_the_notice_becomes_one_chat_with_the_city(
    telegram: TelegramHarness, make_invite: InviteFactory
) -> None:
    """A command in the new supergroup handled before the notice: the two rows merge, bound."""
    await bind_basic_group(telegram, make_invite)
    await telegram.says(ANNA, f"/help@{telegram.api.username}", chat=group_chat(NEW))
    assert await group_chats(telegram) == {str(OLD): "khon-kaen", str(NEW): None}

    await upgrade(telegram, ["from"])

    assert await group_chats(telegram) == {str(NEW): "khon-kaen"}


async def test_a_send_refused_as_upgraded_goes_to_the_new_id(
    telegram: TelegramHarness, telegram_api: FakeTelegramApi, make_invite: InviteFactory
) -> None:
    """ChatMigrated before the bot heard of the upgrade: the message goes to the new id, sent."""
    await bind_basic_group(telegram, make_invite)
    telegram_api.upgraded[OLD] = NEW
    telegram_api.clear()
    message_id = await telegram.queue(OLD, Text(text="ข้อแรก"), Text(text="ข้อสอง"), key="two")

    await telegram.app.drain()

    calls = [(call.params["chat_id"], call.result is not None) for call in telegram_api.calls]
    assert calls == [(OLD, False), (NEW, True), (NEW, True)]
    row = await telegram.outbox_row(message_id)
    assert row.status is OutboxStatus.SENT
    assert row.platform_ids == [str(call.result["message_id"]) for call in telegram_api.calls[1:]]
