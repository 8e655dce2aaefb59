"""Cities' plans, their milestones and the progress reported on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, MilestoneStatus, PlanKind
from db.models import Milestone, Plan, ProgressUpdate


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


async def record_progress(
    *,
    session: AsyncSession,
    milestone: Milestone,
    member_id: int | None,
    status: MilestoneStatus,
    percent: int,
    note: str | None,
    evidence_url: str | None,
    channel: Channel | None,
    reported_at: datetime,
) -> ProgressUpdate:
    """Store a report and move the milestone to it, unless a newer report already did.

    Reports can arrive late (a queued message, an import), and a late one must not roll the
    milestone back past what was reported after it.
    """
    update = ProgressUpdate(
        milestone_id=milestone.id,
        member_id=member_id,
        status=status,
        percent=percent,
        note=note,
        evidence_url=evidence_url,
        channel=channel,
        reported_at=reported_at,
    )
    session.add(update)
    if milestone.last_update_at is None or reported_at >= milestone.last_update_at:
        milestone.status = status
        milestone.percent = percent
        milestone.last_update_at = reported_at
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
