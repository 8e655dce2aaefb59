"""What the deadline and submission tests share: moments in Bangkok, stages, stored entries."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import FrozenClock
from db.enums import SubmissionKind
from db.models import Deadline, Organisation, Submission
from tests.conftest import Database

BANGKOK = ZoneInfo("Asia/Bangkok")


def bangkok(text: str) -> datetime:
    """A Bangkok wall-clock time (`2027-02-25T10:00`) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=BANGKOK)


def set_clock(clock: FrozenClock, text: str) -> None:
    """Move the clock forward to a Bangkok wall-clock time."""
    clock.advance(bangkok(text) - clock.now())


async def stage(db: Database, slug: str) -> Deadline:
    """The stage `slug` as stored now."""
    async with db.sessions() as session:
        found = await session.scalar(select(Deadline).where(Deadline.slug == slug))
        assert found is not None, slug
        return found


async def hand_in(
    db: Database, org: str, slug: str, reference: str, at: datetime, *, late: bool = False
) -> None:
    """A link submission stored straight in the database (for tests that only read them)."""
    async with db.sessions() as session, session.begin():
        await store_link(session, org, slug, reference, at, late=late)


async def store_link(
    session: AsyncSession, org: str, slug: str, reference: str, at: datetime, *, late: bool
) -> None:
    """A link submission of `org` for stage `slug`, added in `session`."""
    city = await session.scalar(select(Organisation).where(Organisation.slug == org))
    deadline = await session.scalar(select(Deadline).where(Deadline.slug == slug))
    assert city is not None and deadline is not None
    session.add(
        Submission(
            deadline_id=deadline.id,
            organisation_id=city.id,
            reference=reference,
            kind=SubmissionKind.LINK,
            url="https://example.org/plan",
            submitted_at=at,
            late=late,
        )
    )


async def submissions(db: Database) -> list[Submission]:
    """Every submission, oldest first."""
    async with db.sessions() as session:
        return list(await session.scalars(select(Submission).order_by(Submission.id)))
