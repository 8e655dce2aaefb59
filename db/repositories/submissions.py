"""What cities hand in for competition stages: the current submission of each, and its history.

A city's current submission for a stage is its latest with `replaced_at` NULL; storing a new
one stamps the one before as replaced (it stays, as history).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Competition, Deadline, Organisation, Submission


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    """A submission with the stage, competition and city it belongs to."""

    submission: Submission
    deadline: Deadline
    competition: Competition
    organisation: Organisation


async def current_submissions(
    *,
    session: AsyncSession,
    deadline_ids: Collection[int] | None = None,
    organisation_id: int | None = None,
) -> list[SubmissionRow]:
    """The current (not replaced) submissions, by competition, stage order, then city slug."""
    query = (
        select(Submission, Deadline, Competition, Organisation)
        .join(Deadline, Deadline.id == Submission.deadline_id)
        .join(Competition, Competition.id == Deadline.competition_id)
        .join(Organisation, Organisation.id == Submission.organisation_id)
        .where(Submission.replaced_at.is_(None))
        .order_by(Competition.id, Deadline.position, Organisation.slug, Submission.id)
    )
    if deadline_ids is not None:
        query = query.where(Submission.deadline_id.in_(list(deadline_ids)))
    if organisation_id is not None:
        query = query.where(Submission.organisation_id == organisation_id)
    rows = await session.execute(query)
    return [SubmissionRow(*row) for row in rows]


async def submitted_organisation_ids(*, session: AsyncSession, deadline_id: int) -> set[int]:
    """The organisations that have a current submission for the stage (they owe nothing)."""
    found = await session.scalars(
        select(Submission.organisation_id).where(
            Submission.deadline_id == deadline_id, Submission.replaced_at.is_(None)
        )
    )
    return set(found)


async def count_submissions(
    *, session: AsyncSession, deadline_id: int, organisation_id: int
) -> int:
    """How many submissions the city made to the stage, replaced ones included."""
    count = await session.scalar(
        select(func.count()).where(
            Submission.deadline_id == deadline_id, Submission.organisation_id == organisation_id
        )
    )
    return int(count or 0)


async def reference_taken(*, session: AsyncSession, reference: str) -> bool:
    """Whether a submission already has this reference."""
    found = await session.scalar(select(Submission.id).where(Submission.reference == reference))
    return found is not None


async def store_submission(
    *, session: AsyncSession, submission: Submission, now: datetime
) -> Submission | None:
    """Store `submission` as the city's current one for its stage; the one it replaced, if any.

    On PostgreSQL the city's current row is locked first, so two submissions at once replace in
    turn instead of both staying current.
    """
    query = select(Submission).where(
        Submission.deadline_id == submission.deadline_id,
        Submission.organisation_id == submission.organisation_id,
        Submission.replaced_at.is_(None),
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    previous = list(await session.scalars(query.order_by(Submission.id)))
    for old in previous:
        old.replaced_at = now
    session.add(submission)
    await session.flush()
    return previous[-1] if previous else None


async def stages_of(*, session: AsyncSession, competition_id: int) -> list[Deadline]:
    """A competition's stages in order."""
    return list(
        await session.scalars(
            select(Deadline)
            .where(Deadline.competition_id == competition_id)
            .order_by(Deadline.position, Deadline.id)
        )
    )


async def submission_with_city(
    *, session: AsyncSession, submission_id: int
) -> tuple[Submission, Organisation] | None:
    """One submission (current or replaced) and its city, or None."""
    row = (
        await session.execute(
            select(Submission, Organisation)
            .join(Organisation, Organisation.id == Submission.organisation_id)
            .where(Submission.id == submission_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None
