"""Calendar feeds: members' feed tokens, and the rows a feed is built from (one query each)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import MemberStatus
from db.models import (
    CalendarToken,
    Competition,
    Deadline,
    Member,
    Milestone,
    Organisation,
    Plan,
    Reminder,
)


async def active_token(*, session: AsyncSession, member_id: int) -> CalendarToken | None:
    """The member's token that is not revoked, if any (the newest, should there be two)."""
    return await session.scalar(
        select(CalendarToken)
        .where(CalendarToken.member_id == member_id, CalendarToken.revoked_at.is_(None))
        .order_by(CalendarToken.id.desc())
        .limit(1)
    )


async def add_token(
    *, session: AsyncSession, member_id: int, token: str, now: datetime
) -> CalendarToken:
    """Store a new token for the member."""
    row = CalendarToken(member_id=member_id, token=token, created_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    return row


async def revoke_tokens(*, session: AsyncSession, member_id: int, now: datetime) -> int:
    """Revoke every active token of the member; how many were."""
    result = await session.execute(
        update(CalendarToken)
        .where(CalendarToken.member_id == member_id, CalendarToken.revoked_at.is_(None))
        .values(revoked_at=now, updated_at=now)
        .returning(CalendarToken.id)
    )
    return len(result.all())


async def feed_owner(*, session: AsyncSession, token: str) -> tuple[Member, Organisation] | None:
    """The active member (with their organisation) whose unrevoked token this is, or None."""
    row = (
        await session.execute(
            select(Member, Organisation)
            .join(CalendarToken, CalendarToken.member_id == Member.id)
            .join(Organisation, Organisation.id == Member.organisation_id)
            .where(
                CalendarToken.token == token,
                CalendarToken.revoked_at.is_(None),
                Member.status == MemberStatus.ACTIVE,
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def stages(*, session: AsyncSession) -> list[tuple[Deadline, Competition]]:
    """Every competition stage with its competition, in the competitions' order."""
    rows = await session.execute(
        select(Deadline, Competition)
        .join(Competition, Competition.id == Deadline.competition_id)
        .order_by(Competition.id, Deadline.position, Deadline.due_at)
    )
    return [(row[0], row[1]) for row in rows]


async def reminder_offsets(*, session: AsyncSession) -> dict[int, list[int]]:
    """Each stage's reminder offsets in minutes, largest (earliest) first, by deadline id."""
    rows = await session.execute(
        select(Reminder.deadline_id, Reminder.offset_minutes).order_by(
            Reminder.deadline_id, Reminder.offset_minutes.desc()
        )
    )
    offsets: dict[int, list[int]] = defaultdict(list)
    for deadline_id, minutes in rows:
        offsets[deadline_id].append(minutes)
    return dict(offsets)


async def dated_milestones(*, session: AsyncSession, organisation_id: int) -> list[Milestone]:
    """The organisation's milestones that have a due time, by due time."""
    return list(
        await session.scalars(
            select(Milestone)
            .join(Plan, Plan.id == Milestone.plan_id)
            .where(Plan.organisation_id == organisation_id, Milestone.due_at.is_not(None))
            .order_by(Milestone.due_at, Milestone.position)
        )
    )
