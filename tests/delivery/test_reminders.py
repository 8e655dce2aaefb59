"""Deadline reminders: city teams are told in their language when a reminder falls due, once."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.texts import Texts
from bot.delivery.reminders import send_due_reminders
from db.enums import Channel, Language, ReminderStatus, Role
from db.models import OutboundMessage, Reminder
from tests.conftest import Database
from tests.factories import add_member, line, telegram

BANGKOK = ZoneInfo("Asia/Bangkok")
PUSH = (Channel.LINE, Channel.TELEGRAM)


async def test_due_reminder_reaches_city_teams_once(
    seeded_database: Database, texts: Texts
) -> None:
    """The first due reminder goes to each city member (not depa) in their language, once."""
    async with seeded_database.sessions() as session, session.begin():
        await add_member(session, "yala", Role.OFFICER, [line("1")])
        await add_member(session, "krabi", Role.EXECUTIVE, [telegram("22")], language=Language.EN)
        await add_member(session, "depa", Role.COORDINATOR, [telegram("33")])
        first = await session.scalar(select(Reminder).order_by(Reminder.remind_at).limit(1))
        assert first is not None
        due = first.remind_at
    async with seeded_database.sessions() as session, session.begin():
        before = await send_due_reminders(
            session=session,
            now=due.replace(year=due.year - 1),
            texts=texts,
            channels=PUSH,
            zone=BANGKOK,
        )
        queued = await send_due_reminders(
            session=session, now=due, texts=texts, channels=PUSH, zone=BANGKOK
        )
        again = await send_due_reminders(
            session=session, now=due, texts=texts, channels=PUSH, zone=BANGKOK
        )
    assert (before, queued, again) == (0, 2, 0)
    async with seeded_database.sessions() as session:
        rows = list(await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
        reminder = await session.get_one(Reminder, first.id)
    assert reminder.status is ReminderStatus.SENT
    by_recipient = {row.recipients[0]: row.payload["replies"][0]["text"] for row in rows}
    assert "⏰ แจ้งเตือน" in by_recipient["U" + "1".zfill(32)]
    assert "2570" in by_recipient["U" + "1".zfill(32)]  # Buddhist-Era year
    assert "⏰ Reminder" in by_recipient["22"] and "2027" in by_recipient["22"]
    assert "33" not in by_recipient
