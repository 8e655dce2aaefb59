"""The competition's calendar: stages with their due times, a city's state per stage, and the
plan milestones due soon. What `/deadlines`, `citybot deadlines list` and the dashboard read.

Nothing here builds a reply; `views.py` words it in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import MilestoneStatus, OrganisationKind, ReminderStatus
from db.models import Competition, Deadline, Milestone, Organisation, Plan, Reminder, Submission
from db.repositories.submissions import current_submissions

SOON = timedelta(days=30)  # milestones due within this are listed under the stages


class StageState(StrEnum):
    """Where a city stands on a stage that takes submissions."""

    SUBMITTED = "submitted"
    SUBMITTED_LATE = "submitted_late"
    NOT_YET = "not_yet"
    OVERDUE = "overdue"  # past its due time and nothing handed in: a submission now is late


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage as a reader sees it: for a city, with its state and current submission."""

    deadline: Deadline
    competition: Competition
    state: StageState | None  # None: not a city, or a stage that takes no submissions
    submission: Submission | None
    next_due: bool  # the first stage still ahead


@dataclass(frozen=True, slots=True)
class MilestoneDue:
    """A milestone due soon: the city's own (with its status), or the template's for depa."""

    milestone: Milestone
    status: MilestoneStatus | None  # the city's; None in the programme-wide view
    open_cities: int | None  # depa: how many cities have not finished it; None otherwise


@dataclass(frozen=True, slots=True)
class Calendar:
    """The stages of every competition in order, and the milestones due soon."""

    stages: list[Stage]
    milestones: list[MilestoneDue]


async def competition_stages(*, session: AsyncSession) -> list[tuple[Deadline, Competition]]:
    """Every stage with its competition, competition by competition, in stage order."""
    rows = await session.execute(
        select(Deadline, Competition)
        .join(Competition, Competition.id == Deadline.competition_id)
        .order_by(Competition.id, Deadline.position, Deadline.id)
    )
    return [(row[0], row[1]) for row in rows]


def state_of(deadline: Deadline, submission: Submission | None, now: datetime) -> StageState:
    """A city's state on a stage that takes submissions."""
    if submission is not None:
        return StageState.SUBMITTED_LATE if submission.late else StageState.SUBMITTED
    return StageState.OVERDUE if deadline.due_at <= now else StageState.NOT_YET


async def calendar(
    *,
    session: AsyncSession,
    now: datetime,
    organisation: Organisation | None,
    with_counts: bool = False,
) -> Calendar:
    """The stages (with `organisation`'s state if it is a city) and milestones due within 30 days.

    For a city, its own milestones; otherwise the programme's, each once, with (`with_counts`,
    for depa) how many cities have not finished it.
    """
    city = organisation if organisation and organisation.kind is OrganisationKind.CITY else None
    handed: dict[int, Submission] = {}
    if city is not None:
        rows = await current_submissions(session=session, organisation_id=city.id)
        handed = {row.deadline.id: row.submission for row in rows}
    pairs = await competition_stages(session=session)
    ahead = [deadline for deadline, _ in pairs if deadline.due_at > now]
    next_id = min(ahead, key=lambda deadline: deadline.due_at).id if ahead else None
    stages = []
    for deadline, competition in pairs:
        submission = handed.get(deadline.id)
        state = None
        if city is not None and deadline.accepts_submissions:
            state = state_of(deadline, submission, now)
        stages.append(Stage(deadline, competition, state, submission, deadline.id == next_id))
    if city is not None:
        milestones = await city_milestones_due(session=session, organisation_id=city.id, now=now)
    else:
        milestones = await programme_milestones_due(session=session, now=now, counts=with_counts)
    return Calendar(stages=stages, milestones=milestones)


async def city_milestones_due(
    *, session: AsyncSession, organisation_id: int, now: datetime
) -> list[MilestoneDue]:
    """The city's milestones due from now to 30 days on, soonest first."""
    found = await session.scalars(
        select(Milestone)
        .join(Plan, Plan.id == Milestone.plan_id)
        .where(
            Plan.organisation_id == organisation_id,
            Milestone.due_at > now,
            Milestone.due_at <= now + SOON,
        )
        .order_by(Milestone.due_at, Milestone.position)
    )
    return [MilestoneDue(milestone, milestone.status, None) for milestone in found]


async def programme_milestones_due(
    *, session: AsyncSession, now: datetime, counts: bool
) -> list[MilestoneDue]:
    """The template's milestones due within 30 days, once each (by key), soonest first."""
    rows = await session.execute(
        select(Milestone)
        .join(Plan, Plan.id == Milestone.plan_id)
        .join(Organisation, Organisation.id == Plan.organisation_id)
        .where(
            Organisation.kind == OrganisationKind.CITY,
            Milestone.due_at > now,
            Milestone.due_at <= now + SOON,
        )
        .order_by(Milestone.due_at, Milestone.position, Milestone.id)
    )
    by_key: dict[str, list[Milestone]] = {}
    for milestone in rows.scalars():
        by_key.setdefault(milestone.key, []).append(milestone)
    return [
        MilestoneDue(
            milestones[0],
            None,
            sum(m.status is not MilestoneStatus.DONE for m in milestones) if counts else None,
        )
        for milestones in by_key.values()
    ]


@dataclass(frozen=True, slots=True)
class StageRecord:
    """A stage with the times of its reminders, for `citybot deadlines list`."""

    deadline: Deadline
    competition: Competition
    reminders: Sequence[datetime]


async def stage_records(*, session: AsyncSession) -> list[StageRecord]:
    """Every stage in order, with its reminders that are not cancelled, earliest first."""
    reminders = await session.scalars(
        select(Reminder)
        .where(Reminder.status != ReminderStatus.CANCELLED)
        .order_by(Reminder.remind_at)
    )
    by_deadline: dict[int, list[datetime]] = {}
    for reminder in reminders:
        by_deadline.setdefault(reminder.deadline_id, []).append(reminder.remind_at)
    return [
        StageRecord(deadline, competition, by_deadline.get(deadline.id, []))
        for deadline, competition in await competition_stages(session=session)
    ]


def stage_record(record: StageRecord, zone: ZoneInfo) -> dict[str, Any]:
    """A stage as `citybot deadlines list --format json` prints it (times ISO, with offset)."""
    deadline = record.deadline
    return {
        "competition": record.competition.slug,
        "stage": deadline.slug,
        "title_th": deadline.title_th,
        "title_en": deadline.title_en,
        "due": deadline.due_at.astimezone(zone).isoformat(),
        "reminders": [moment.astimezone(zone).isoformat() for moment in record.reminders],
    }
