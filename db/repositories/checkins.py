"""Check-in rounds: opened once per city and schedule time, escalated step by step; who hears."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CheckinRound
from db.repositories.dialect import conflict_insert


async def open_round(
    *,
    session: AsyncSession,
    organisation_id: int,
    round_at: datetime,
    milestone_ids: Sequence[int],
    asked_at: datetime,
) -> CheckinRound | None:
    """The city's new round at `round_at`; None when one exists (an earlier or parallel run).

    The unique (city, time) row is the lock: of two runs, one inserts and the other skips.
    """
    statement = (
        conflict_insert(session, CheckinRound)
        .values(
            organisation_id=organisation_id,
            round_at=round_at,
            milestone_ids=list(milestone_ids),
            asked_at=asked_at,
            created_at=asked_at,
            updated_at=asked_at,
        )
        .on_conflict_do_nothing(index_elements=["organisation_id", "round_at"])
        .returning(CheckinRound.id)
    )
    round_id = (await session.execute(statement)).scalar_one_or_none()
    return await session.get(CheckinRound, round_id) if round_id is not None else None


async def cities_asked(*, session: AsyncSession, round_at: datetime) -> set[int]:
    """The cities that have their round at `round_at` already."""
    rows = await session.scalars(
        select(CheckinRound.organisation_id).where(CheckinRound.round_at == round_at)
    )
    return set(rows)


async def rounds_waiting(*, session: AsyncSession) -> list[tuple[CheckinRound, bool]]:
    """Rounds asked, not answered and not yet silent, oldest first; each with whether it is its
    city's latest round (a newer round asks again, so only the latest sends reminders)."""
    latest = (
        select(CheckinRound.organisation_id, func.max(CheckinRound.round_at).label("round_at"))
        .group_by(CheckinRound.organisation_id)
        .subquery()
    )
    rows = await session.execute(
        select(CheckinRound, latest.c.round_at == CheckinRound.round_at)
        .join(latest, latest.c.organisation_id == CheckinRound.organisation_id)
        .where(
            CheckinRound.asked_at.is_not(None),
            CheckinRound.answered_at.is_(None),
            CheckinRound.silent_at.is_(None),
        )
        .order_by(CheckinRound.round_at, CheckinRound.id)
    )
    return [(round_, bool(is_latest)) for round_, is_latest in rows]


async def silent_between(
    *, session: AsyncSession, start: datetime, end: datetime
) -> list[CheckinRound]:
    """Rounds marked silent in [start, end) and still unanswered at `end`, oldest first."""
    rows = await session.scalars(
        select(CheckinRound)
        .where(
            CheckinRound.silent_at >= start,
            CheckinRound.silent_at < end,
            (CheckinRound.answered_at.is_(None)) | (CheckinRound.answered_at >= end),
        )
        .order_by(CheckinRound.silent_at, CheckinRound.id)
    )
    return list(rows)
