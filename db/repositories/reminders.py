"""Deadline reminders: rows the scheduler claims when their time comes, and the cities and
people they go to (who has submitted a stage is in `db.repositories.submissions`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import ReminderStatus
from db.models import Competition, Deadline, Reminder

# The people of a city a competition deadline concerns.


async def claim_due_reminders(
    *, session: AsyncSession, now: datetime
) -> list[tuple[Reminder, Deadline, Competition]]:
    """Mark every due reminder sent and return them with their deadline, oldest first; the
    caller commits (and may cancel some of them in the same transaction). The UPDATE is the
    claim, so two schedulers never send the same reminder: on PostgreSQL the rows another one
    holds are skipped, on SQLite its write waits for the other's commit."""
    due = select(Reminder.id).where(
        Reminder.status == ReminderStatus.PENDING, Reminder.remind_at <= now
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = list(
        await session.scalars(
            update(Reminder)
            .where(Reminder.id.in_(due.scalar_subquery()))
            .values(status=ReminderStatus.SENT, sent_at=now)
            .returning(Reminder.id)
        )
    )
    if not claimed:
        return []
    rows = await session.execute(
        select(Reminder, Deadline, Competition)
        .join(Deadline, Deadline.id == Reminder.deadline_id)
        .join(Competition, Competition.id == Deadline.competition_id)
        .where(Reminder.id.in_(claimed))
        .order_by(Reminder.remind_at, Reminder.id)
        .execution_options(populate_existing=True)
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def cancel_claimed(*, session: AsyncSession, reminder_ids: Collection[int]) -> None:
    """Claimed reminders that send nothing after all (overtaken, or past their deadline)."""
    if reminder_ids:
        await session.execute(
            update(Reminder)
            .where(Reminder.id.in_(list(reminder_ids)))
            .values(status=ReminderStatus.CANCELLED, sent_at=None)
        )
