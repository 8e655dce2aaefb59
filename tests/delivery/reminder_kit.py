"""Helpers of the deadline reminder tests: Bangkok moments, submissions, one run, the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import Texts
from bot.delivery.reminders import ReminderRun, send_due_reminders
from db.enums import Channel, ChatKind, SubmissionKind
from db.models import Chat, Deadline, OutboundMessage, Reminder, Submission
from handlers.progress.service import city_of
from tests.conftest import Database

BANGKOK = ZoneInfo("Asia/Bangkok")
PUSH = (Channel.LINE, Channel.TELEGRAM)


def bangkok(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of 2027 given in Bangkok time, as UTC."""
    return datetime(2027, month, day, hour, minute, tzinfo=BANGKOK).astimezone(UTC)


# Registration is due 26 Feb 2027 16:30; its reminders fall 14, 3 and 1 day before.
FOURTEEN_DAYS = bangkok(2, 12, 16, 30)
THREE_DAYS = bangkok(2, 23, 16, 30)
ONE_DAY = bangkok(2, 25, 16, 30)


async def deadline_of(session: AsyncSession, slug: str) -> Deadline:
    """The competition stage `slug`."""
    return (await session.scalars(select(Deadline).where(Deadline.slug == slug))).one()


async def reminders_of(session: AsyncSession, slug: str) -> dict[int, Reminder]:
    """The stage's reminders by days before it."""
    deadline = await deadline_of(session, slug)
    rows = await session.scalars(select(Reminder).where(Reminder.deadline_id == deadline.id))
    return {row.offset_minutes // (24 * 60): row for row in rows}


async def submit(
    session: AsyncSession, city: str, stage: str, *, replaced: datetime | None = None
) -> None:
    """A link handed in by `city` for `stage`, written straight to the database."""
    organisation = await city_of(session=session, slug=city)
    deadline = await deadline_of(session, stage)
    count = len(list(await session.scalars(select(Submission.id))))
    session.add(
        Submission(
            deadline_id=deadline.id,
            organisation_id=organisation.id,
            reference=f"TEST-{count + 1}",
            kind=SubmissionKind.LINK,
            url="https://example.org/plan",
            submitted_at=FOURTEEN_DAYS,
            replaced_at=replaced,
        )
    )
    await session.flush()


async def group_chat(session: AsyncSession, city: str, external_id: str) -> Chat:
    """The city's LINE group chat."""
    organisation = await city_of(session=session, slug=city)
    chat = Chat(
        channel=Channel.LINE,
        external_id=external_id,
        kind=ChatKind.GROUP,
        organisation_id=organisation.id,
    )
    session.add(chat)
    await session.flush()
    return chat


async def run(database: Database, texts: Texts, now: datetime) -> ReminderRun:
    """One scheduler run at `now`, committed."""
    async with database.sessions() as session, session.begin():
        return await send_due_reminders(
            session=session, now=now, texts=texts, channels=PUSH, zone=BANGKOK
        )


async def outbox(database: Database) -> dict[str, dict[str, Any]]:
    """Each queued message's first reply, by idempotency key."""
    async with database.sessions() as session:
        rows = await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
        return {row.idempotency_key: row.payload["replies"][0] for row in rows}
