"""Cities' plans, their milestones and the progress reported on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, MilestoneStatus, PlanKind
from db.models import Member, Milestone, Organisation, Plan, ProgressUpdate


async def get_plan(*, session: AsyncSession, organisation_id: int, kind: PlanKind) -> Plan | None:
    """The organisation's plan of `kind`, or None."""
    return await session.scalar(
        select(Plan).where(Plan.organisation_id == organisation_id, Plan.kind == kind)
    )


async def list_plans(*, session: AsyncSession, organisation_id: int) -> list[Plan]:
    """The organisation's plans in the order policy, strategic, framework."""
    order = {kind: position for position, kind in enumerate(PlanKind)}
    plans = await session.scalars(select(Plan).where(Plan.organisation_id == organisation_id))
    return sorted(plans, key=lambda plan: order[plan.kind])


async def get_milestone(
    *, session: AsyncSession, organisation_id: int, key: str
) -> Milestone | None:
    """The organisation's milestone with template `key`, whichever plan it is in."""
    return await session.scalar(
        select(Milestone)
        .join(Plan, Milestone.plan_id == Plan.id)
        .where(Plan.organisation_id == organisation_id, Milestone.key == key)
    )


async def list_milestones(*, session: AsyncSession, organisation_id: int) -> list[Milestone]:
    """All of an organisation's milestones, plan by plan in template order."""
    rows = await session.execute(
        select(Milestone, Plan.kind)
        .join(Plan, Milestone.plan_id == Plan.id)
        .where(Plan.organisation_id == organisation_id)
    )
    order = {kind: position for position, kind in enumerate(PlanKind)}
    ranked = sorted(rows, key=lambda row: (order[row[1]], row[0].position))
    return [row[0] for row in ranked]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What backs a report: a link, or a file stored under the media directory."""

    url: str | None = None
    path: str | None = None
    content_type: str | None = None
    size: int | None = None


async def record_progress(
    *,
    session: AsyncSession,
    milestone: Milestone,
    member_id: int | None,
    status: MilestoneStatus,
    percent: int,
    note: str | None,
    evidence_url: str | None = None,
    channel: Channel | None,
    reported_at: datetime,
    identity_id: int | None = None,
    evidence: Evidence | None = None,
) -> ProgressUpdate:
    """Store a report and move the milestone to it, unless a newer report already did.

    Reports can arrive late (a queued message, an import), and a late one must not roll the
    milestone back past what was reported after it. The report keeps what the milestone was
    before it, so a history reads "old → new".
    """
    evidence = evidence or Evidence(url=evidence_url)
    update = ProgressUpdate(
        milestone_id=milestone.id,
        member_id=member_id,
        identity_id=identity_id,
        status=status,
        percent=percent,
        previous_status=milestone.status,
        previous_percent=milestone.percent,
        note=note,
        evidence_url=evidence.url,
        evidence_path=evidence.path,
        evidence_type=evidence.content_type,
        evidence_bytes=evidence.size,
        channel=channel,
        reported_at=reported_at,
    )
    session.add(update)
    if milestone.last_update_at is None or reported_at >= milestone.last_update_at:
        milestone.status = status
        milestone.percent = percent
        milestone.last_update_at = reported_at
        milestone.last_update_member_id = member_id
    await session.flush()
    return update


async def find_progress_update(
    *, session: AsyncSession, milestone_id: int, member_id: int | None, note: str | None
) -> ProgressUpdate | None:
    """A report by `member_id` on the milestone with exactly `note`, or None."""
    query = select(ProgressUpdate).where(ProgressUpdate.milestone_id == milestone_id)
    query = query.where(
        ProgressUpdate.member_id.is_(None)
        if member_id is None
        else ProgressUpdate.member_id == member_id,
        ProgressUpdate.note.is_(None) if note is None else ProgressUpdate.note == note,
    )
    return await session.scalar(query.order_by(ProgressUpdate.id).limit(1))


async def list_progress_updates(
    *, session: AsyncSession, milestone_id: int, limit: int = 20
) -> list[ProgressUpdate]:
    """The milestone's reports, newest first."""
    return list(
        await session.scalars(
            select(ProgressUpdate)
            .where(ProgressUpdate.milestone_id == milestone_id)
            .order_by(ProgressUpdate.reported_at.desc(), ProgressUpdate.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True, slots=True)
class MilestoneRow:
    """A milestone with its plan, its city and the name of who reported on it last."""

    milestone: Milestone
    plan: Plan
    organisation: Organisation
    updated_by: str | None


async def milestone_rows(
    *, session: AsyncSession, organisation_id: int | None = None
) -> list[MilestoneRow]:
    """Every city's milestones (or one organisation's), city by city, plan by plan, in order.

    One query however many reports there are: the milestone carries its latest state.
    """
    query = (
        select(Milestone, Plan, Organisation, Member.display_name)
        .join(Plan, Milestone.plan_id == Plan.id)
        .join(Organisation, Plan.organisation_id == Organisation.id)
        .outerjoin(Member, Milestone.last_update_member_id == Member.id)
    )
    if organisation_id is not None:
        query = query.where(Plan.organisation_id == organisation_id)
    order = {kind: position for position, kind in enumerate(PlanKind)}
    rows = [
        MilestoneRow(milestone=m, plan=p, organisation=o, updated_by=name)
        for m, p, o, name in await session.execute(query)
    ]
    rows.sort(key=lambda r: (r.organisation.slug, order[r.plan.kind], r.milestone.position))
    return rows


async def updates_between(
    *, session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[ProgressUpdate, Milestone, Organisation]]:
    """Every report made in [start, end), oldest first, with its milestone and city."""
    rows = await session.execute(
        select(ProgressUpdate, Milestone, Organisation)
        .join(Milestone, ProgressUpdate.milestone_id == Milestone.id)
        .join(Plan, Milestone.plan_id == Plan.id)
        .join(Organisation, Plan.organisation_id == Organisation.id)
        .where(ProgressUpdate.reported_at >= start, ProgressUpdate.reported_at < end)
        .order_by(ProgressUpdate.reported_at, ProgressUpdate.id)
    )
    return [(u, m, o) for u, m, o in rows]


async def all_updates(
    *, session: AsyncSession
) -> list[tuple[ProgressUpdate, Milestone, Organisation, str | None]]:
    """Every report ever made, oldest first, with milestone, city and reporter's name."""
    rows = await session.execute(
        select(ProgressUpdate, Milestone, Organisation, Member.display_name)
        .join(Milestone, ProgressUpdate.milestone_id == Milestone.id)
        .join(Plan, Milestone.plan_id == Plan.id)
        .join(Organisation, Plan.organisation_id == Organisation.id)
        .outerjoin(Member, ProgressUpdate.member_id == Member.id)
        .order_by(ProgressUpdate.reported_at, ProgressUpdate.id)
    )
    return [(u, m, o, name) for u, m, o, name in rows]


async def city_history(
    *, session: AsyncSession, organisation_id: int, limit: int
) -> list[tuple[ProgressUpdate, Milestone, str | None]]:
    """The city's latest `limit` reports, newest first, with milestone and reporter's name."""
    rows = await session.execute(
        select(ProgressUpdate, Milestone, Member.display_name)
        .join(Milestone, ProgressUpdate.milestone_id == Milestone.id)
        .join(Plan, Milestone.plan_id == Plan.id)
        .outerjoin(Member, ProgressUpdate.member_id == Member.id)
        .where(Plan.organisation_id == organisation_id)
        .order_by(ProgressUpdate.reported_at.desc(), ProgressUpdate.id.desc())
        .limit(limit)
    )
    return [(u, m, name) for u, m, name in rows]


async def update_with_city(
    *, session: AsyncSession, update_id: int
) -> tuple[ProgressUpdate, Organisation] | None:
    """One report and the city it belongs to (whose pages may show its evidence), or None."""
    row = (
        await session.execute(
            select(ProgressUpdate, Organisation)
            .join(Milestone, ProgressUpdate.milestone_id == Milestone.id)
            .join(Plan, Milestone.plan_id == Plan.id)
            .join(Organisation, Plan.organisation_id == Organisation.id)
            .where(ProgressUpdate.id == update_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None
