"""Channel pauses reach the admins, on another channel, once a day."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.texts import Texts
from bot.delivery.notices import alert_admins
from db.enums import Channel, Language, Role
from db.models import OutboundMessage
from tests.conftest import START, Database
from tests.factories import add_member, line, telegram

PUSH = (Channel.LINE, Channel.TELEGRAM)


async def test_line_quota_alert_goes_to_admins_on_telegram_once_a_day(
    seeded_database: Database, texts: Texts
) -> None:
    """Admins hear of a paused LINE on Telegram, officers do not; the same day adds nothing."""
    async with seeded_database.sessions() as session, session.begin():
        await add_member(session, "depa", Role.ADMIN, [telegram("11")], language=Language.EN)
        await add_member(session, "depa", Role.ADMIN, [line("2")])  # reachable on LINE only
        await add_member(session, "yala", Role.OFFICER, [telegram("33")])
        for _ in range(2):
            queued = await alert_admins(
                session=session,
                texts=texts,
                paused=Channel.LINE,
                reason="429 You have reached your monthly limit.",
                channels=PUSH,
                now=START,
            )
    async with seeded_database.sessions() as session:
        rows = list(await session.scalars(select(OutboundMessage)))
    assert queued == 0
    assert [(row.channel, row.recipients) for row in rows] == [(Channel.TELEGRAM, ["11"])]
    assert "LINE has stopped sending" in rows[0].payload["replies"][0]["text"]
