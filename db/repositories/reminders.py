"""Deadline reminders: rows the scheduler claims when their time comes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import MemberStatus, OrganisationKind, ReminderStatus
from db.models import Competition, Deadline, Member, Organisation, Reminder


async def claim_due_reminders(
    *, session: AsyncSession, now: datetime, limit: int = 20
) -> list[tuple[Reminder, Deadline, Competition]]:
    """Mark up to `limit` due reminders sent and return them with their deadline; the caller
    commits. The UPDATE is the claim, so two schedulers never send the same reminder."""
    due = (
        select(Reminder.id)
        .where(Reminder.status == ReminderStatus.PENDING, Reminder.remind_at <= now)
        .order_by(Reminder.remind_at)
        .limit(limit)
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
        .order_by(Reminder.remind_at)
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def city_team_member_ids(*, session: AsyncSession) -> list[int]:
    """Every active member of a city: the people competition deadlines concern."""
    return list(
        await session.scalars(
            select(Member.id)
            .join(Organisation, Organisation.id == Member.organisation_id)
            .where(
                Organisation.kind == OrganisationKind.CITY, Member.status == MemberStatus.ACTIVE
            )
        )
    )
