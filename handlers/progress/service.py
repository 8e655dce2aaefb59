"""Progress on plan milestones: the use cases chat, `citybot progress` and the dashboard call.

Reading: a city's milestones as they stand (`city_milestones`, `progress_rows`), all cities
ranked (`overview`), and who is behind (`behind`: an overdue milestone, or silent for
`SILENT_DAYS`). Writing: `record_update`, which checks a report the same way wherever it comes
from, stores it as one `progress_update` row, marks the city's open check-in answered and
queues the team's notices. Nothing here builds a reply: notices are written by the caller's
`ProgressNotices` (the chat views), in each recipient's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import calendar_days
from bot.delivery import notices
from bot.delivery.notices import Compose, notify_chats, notify_members
from db.enums import CITY_ROLES, Channel, MilestoneStatus, OrganisationKind, Role
from db.models import (
    CheckinRound,
    Domain,
    Member,
    Milestone,
    Organisation,
    Plan,
    ProgressUpdate,
)
from db.repositories import audit
from db.repositories.members import active_group_chats, active_member_ids, agency_staff_ids
from db.repositories.progress import Evidence, MilestoneRow, milestone_rows, record_progress
from handlers.progress.rules import ProgressError, check_note, settle

SILENT_DAYS = 14  # a city with no report for this long is behind


# --- reading the state -----------------------------------------------------------------------


def days_left(due_at: datetime, now: datetime, zone: ZoneInfo) -> int:
    """Calendar days from today to the due day, in the display zone (negative: overdue)."""
    return calendar_days(due_at, now, zone)


def is_overdue(milestone: Milestone, now: datetime) -> bool:
    """Past its due time and not done."""
    return (
        milestone.due_at is not None
        and milestone.due_at < now
        and milestone.status is not MilestoneStatus.DONE
    )


async def city_of(*, session: AsyncSession, slug: str) -> Organisation:
    """The city with `slug`."""
    organisation = await session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        raise ProgressError("unknown_org", org=slug[:60])
    if organisation.kind is not OrganisationKind.CITY:
        raise ProgressError("not_a_city", org=slug[:60])
    return organisation


async def city_milestones(*, session: AsyncSession, organisation_id: int) -> list[MilestoneRow]:
    """One city's milestones, plan by plan, in template order."""
    return await milestone_rows(session=session, organisation_id=organisation_id)


async def progress_rows(*, session: AsyncSession, org: str | None = None) -> list[MilestoneRow]:
    """Every city's milestones (or the city `org`'s): one query whatever the history."""
    organisation_id = (await city_of(session=session, slug=org)).id if org else None
    rows = await milestone_rows(session=session, organisation_id=organisation_id)
    return [row for row in rows if row.organisation.kind is OrganisationKind.CITY]


async def milestone_of(
    *, session: AsyncSession, organisation_id: int, milestone_id: int | None = None, key: str = ""
) -> Milestone:
    """The city's milestone by id or template key; another city's is `unknown_milestone`."""
    query = select(Milestone).join(Plan, Milestone.plan_id == Plan.id)
    query = query.where(Plan.organisation_id == organisation_id)
    if milestone_id is not None:
        query = query.where(Milestone.id == milestone_id)
    else:
        query = query.where(Milestone.key == key.strip())
    milestone = await session.scalar(query)
    if milestone is None:
        raise ProgressError("unknown_milestone", key=(key or str(milestone_id))[:80])
    return milestone


@dataclass(frozen=True, slots=True)
class CitySummary:
    """One city at a glance, for depa's overview."""

    organisation: Organisation
    done: int
    total: int
    completion: int  # mean percent over its milestones
    overdue: int
    last_update_at: datetime | None
    days_silent: int | None  # None: never reported

    @property
    def done_share(self) -> float:
        """Done over total, 0 for a city without milestones."""
        return self.done / self.total if self.total else 0.0


def per_city(rows: Sequence[MilestoneRow]) -> dict[int, list[MilestoneRow]]:
    """The rows by city id, in the order they came."""
    grouped: dict[int, list[MilestoneRow]] = {}
    for row in rows:
        grouped.setdefault(row.organisation.id, []).append(row)
    return grouped


def summarise(rows: Sequence[MilestoneRow], now: datetime) -> list[CitySummary]:
    """Cities ranked by completion (mean percent), then done count, then name."""
    by_city = per_city(rows)
    summaries = []
    for city_rows in by_city.values():
        milestones = [row.milestone for row in city_rows]
        stamps = [m.last_update_at for m in milestones if m.last_update_at is not None]
        last = max(stamps) if stamps else None
        summaries.append(
            CitySummary(
                organisation=city_rows[0].organisation,
                done=sum(m.status is MilestoneStatus.DONE for m in milestones),
                total=len(milestones),
                completion=round(sum(m.percent for m in milestones) / len(milestones)),
                overdue=sum(is_overdue(m, now) for m in milestones),
                last_update_at=last,
                days_silent=(now - last).days if last is not None else None,
            )
        )
    summaries.sort(key=lambda s: (-s.completion, -s.done, s.organisation.slug))
    return summaries


@dataclass(frozen=True, slots=True)
class DomainSummary:
    """One smart-city domain across every city: its milestones, how many done, mean percent."""

    domain: Domain | None  # None: milestones the template gives no domain
    done: int
    total: int
    completion: int


def per_domain(rows: Sequence[MilestoneRow], domains: Sequence[Domain]) -> list[DomainSummary]:
    """Completion per domain over every city's milestones, in the domains' framework order."""
    grouped: dict[int | None, list[Milestone]] = {}
    for row in rows:
        grouped.setdefault(row.milestone.domain_id, []).append(row.milestone)
    ordered: list[Domain | None] = [*domains, None]
    summaries = []
    for domain in ordered:
        milestones = grouped.get(domain.id if domain is not None else None)
        if not milestones:
            continue
        summaries.append(
            DomainSummary(
                domain=domain,
                done=sum(m.status is MilestoneStatus.DONE for m in milestones),
                total=len(milestones),
                completion=round(sum(m.percent for m in milestones) / len(milestones)),
            )
        )
    return summaries


def is_silent(summary: CitySummary) -> bool:
    """Never reported, or not for `SILENT_DAYS`: the overview flags it."""
    return summary.days_silent is None or summary.days_silent >= SILENT_DAYS


async def overview(*, session: AsyncSession, now: datetime) -> list[CitySummary]:
    """All cities ranked by completion: depa's view."""
    return summarise(await progress_rows(session=session), now)


@dataclass(frozen=True, slots=True)
class BehindCity:
    """A city that is behind, and why: its overdue milestones, its days without a report."""

    organisation: Organisation
    overdue: tuple[Milestone, ...]
    silent_days: int | None  # set when silent for SILENT_DAYS or more
    reasons: tuple[str, ...]  # `overdue`, `silent`


async def behind(*, session: AsyncSession, as_of: datetime) -> list[BehindCity]:
    """Cities with an overdue milestone, or no report for `SILENT_DAYS` (`/behind`, the CLI).

    A city that never reported counts its silence from when its plans were made.
    """
    rows = await progress_rows(session=session)
    by_city = per_city(rows)
    found = []
    for city_rows in by_city.values():
        milestones = [row.milestone for row in city_rows]
        overdue = tuple(m for m in milestones if is_overdue(m, as_of))
        stamps = [m.last_update_at for m in milestones if m.last_update_at is not None]
        since = max(stamps) if stamps else min(row.plan.created_at for row in city_rows)
        silent = (as_of - since).days
        silent_days = silent if silent >= SILENT_DAYS else None
        reasons = (("overdue",) if overdue else ()) + (("silent",) if silent_days else ())
        if reasons:
            found.append(
                BehindCity(
                    organisation=city_rows[0].organisation,
                    overdue=overdue,
                    silent_days=silent_days,
                    reasons=reasons,
                )
            )
    found.sort(key=lambda b: (-len(b.overdue), -(b.silent_days or 0), b.organisation.slug))
    return found


# --- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """A report just recorded: what moved, on which milestone of which city, by whom."""

    organisation: Organisation
    milestone: Milestone
    update: ProgressUpdate
    author: Member | None

    @property
    def newly_done(self) -> bool:
        """Done now, and was not before."""
        return (
            self.update.status is MilestoneStatus.DONE
            and self.update.previous_status is not MilestoneStatus.DONE
        )

    @property
    def newly_blocked(self) -> bool:
        """Blocked now, and was not before."""
        return (
            self.update.status is MilestoneStatus.BLOCKED
            and self.update.previous_status is not MilestoneStatus.BLOCKED
        )


class ProgressNotices(Protocol):
    """How the notices of a change are written (the chat views do it), per recipient language."""

    def team(self, change: Change) -> Compose:
        """The short notice to the city's other members and its group chats."""

    def done(self, change: Change) -> Compose:
        """The celebration of a milestone done, once per milestone."""

    def blocked(self, change: Change) -> Compose:
        """What depa's coordinators hear when a milestone is blocked, with the note."""


class Outreach(notices.Outreach[ProgressNotices]):
    """Where this feature's notices go, written by its ProgressNotices."""


async def record_update(
    *,
    session: AsyncSession,
    organisation: Organisation,
    milestone: Milestone,
    status: MilestoneStatus | None,
    percent: int | None,
    note: str | None,
    evidence: Evidence | None,
    author: Member | None,
    identity_id: int | None,
    channel: Channel | None,
    now: datetime,
    outreach: Outreach,
    via: str,
) -> Change:
    """Check and store one report, answer the city's check-in, and tell who should know.

    `author` None is an operator at the command line. A member may report only on their own
    city's milestones. Everything happens in the caller's transaction: nothing half-saved.
    """
    if author is not None and author.organisation_id != organisation.id:
        raise ProgressError("unknown_milestone", key=milestone.key)
    report = settle(status, percent, milestone)
    update = await record_progress(
        session=session,
        milestone=milestone,
        member_id=author.id if author else None,
        identity_id=identity_id,
        status=report.status,
        percent=report.percent,
        note=check_note(note),
        evidence=evidence,
        channel=channel,
        reported_at=now,
    )
    await audit.record(
        session=session,
        action="progress.update",
        now=now,
        actor_member_id=author.id if author else None,
        target=f"milestone:{milestone.id}",
        details={
            "org": organisation.slug,
            "milestone": milestone.key,
            "from": [update.previous_status, update.previous_percent],
            "to": [update.status.value, update.percent],
            "via": via,
        },
    )
    await answer_checkins(session=session, organisation_id=organisation.id, milestone=milestone)
    change = Change(organisation=organisation, milestone=milestone, update=update, author=author)
    await tell(session=session, change=change, now=now, outreach=outreach)
    return change


async def answer_checkins(
    *, session: AsyncSession, organisation_id: int, milestone: Milestone
) -> None:
    """A report on a milestone a check-in asked about answers that check-in: escalation stops."""
    rounds = await session.scalars(
        select(CheckinRound).where(
            CheckinRound.organisation_id == organisation_id,
            CheckinRound.answered_at.is_(None),
            CheckinRound.asked_at.is_not(None),
        )
    )
    for round_ in rounds:
        if milestone.id in round_.milestone_ids:
            round_.answered_at = milestone.last_update_at


async def tell(*, session: AsyncSession, change: Change, now: datetime, outreach: Outreach) -> int:
    """Queue the change's notices; how many messages. Each has its own idempotency key."""
    members = await active_member_ids(
        session=session, organisation_ids=[change.organisation.id], roles=CITY_ROLES
    )
    others = [m for m in members if change.author is None or m != change.author.id]
    update_id = change.update.id
    if change.newly_done:  # celebrated once per milestone, however often it is marked done
        compose = outreach.notices.done(change)
        tag = f"progress.done:{change.milestone.id}"
    else:
        compose = outreach.notices.team(change)
        tag = f"progress.team:{update_id}"
    texts, channels = outreach.texts, outreach.channels
    queued = await notify_members(
        session=session,
        member_ids=others,
        texts=texts,
        compose=compose,
        now=now,
        channels=channels,
        tag=tag,
    )
    chats = await active_group_chats(session=session, organisation_ids=[change.organisation.id])
    queued += await notify_chats(
        session=session,
        chats=chats,
        texts=texts,
        compose=compose,
        now=now,
        channels=channels,
        tag=tag,
    )
    if change.newly_blocked:
        queued += await notify_members(
            session=session,
            member_ids=await depa_coordinators(session=session),
            texts=texts,
            compose=outreach.notices.blocked(change),
            now=now,
            channels=channels,
            tag=f"progress.blocked:{update_id}",
        )
    return queued


async def depa_coordinators(*, session: AsyncSession) -> list[int]:
    """depa's coordinators (its admins where there are none): who hears of blocked work."""
    coordinators = await agency_staff_ids(session=session, roles=[Role.COORDINATOR])
    return coordinators or await agency_staff_ids(session=session, roles=[Role.ADMIN])
