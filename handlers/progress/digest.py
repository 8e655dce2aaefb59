"""The weekly digest to depa: what moved over the past week, who went quiet, where all stand.

On `CITYBOT_DIGEST_CRON` (Monday 08:30 by default) each of depa's coordinators and admins gets
one message, in their language: the reports of the past seven days (how many, which cities),
the milestones completed and newly blocked in them, the cities whose check-in went unanswered
into silence in them (see `checkins`), and the overall completion (the mean of the cities'
mean percent). The week's idempotency key per member (`digest:<ISO week>:m<member>`) sends it
once per person however often it runs; a digest missed while no process ran goes out when one
comes back within `DIGEST_GRACE`, and like check-ins never between 21:00 and 08:00.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import in_quiet_hours
from bot.core.schedules import latest_time
from bot.core.texts import Texts
from bot.delivery.notices import Compose, notify_members
from db.enums import Channel, MilestoneStatus, Role
from db.models import Milestone, Organisation
from db.repositories.checkins import silent_between
from db.repositories.members import agency_staff_ids
from db.repositories.outbox import stored_keys
from db.repositories.progress import updates_between
from handlers.progress.service import progress_rows, summarise

WEEK = timedelta(days=7)
DIGEST_GRACE = timedelta(days=1)
DIGEST_ROLES = (Role.COORDINATOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Mention:
    """A milestone of a city, named in the digest."""

    organisation: Organisation
    milestone: Milestone


@dataclass(frozen=True, slots=True)
class Digest:
    """One week of the programme, [start, end)."""

    start: datetime
    end: datetime
    reports: int
    reporting: tuple[Organisation, ...]  # the cities that reported, by slug
    completed: tuple[Mention, ...]
    blocked: tuple[Mention, ...]  # became blocked in the week, and still are
    silent: tuple[Organisation, ...]  # check-in unanswered into silence in the week
    completion: int  # mean over the cities of their mean percent
    done: int
    total: int


class DigestMessages(Protocol):
    """How the digest is written (the chat views do it), per recipient language."""

    def digest(self, digest: Digest) -> Compose:
        """The week as one plain text."""


@dataclass(frozen=True, slots=True)
class DigestOutreach:
    """Where the digest goes and how it is written."""

    texts: Texts
    channels: Collection[Channel]
    zone: ZoneInfo
    messages: DigestMessages


def digest_due(cron: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The digest schedule's latest time at or before `now`, unless older than the grace."""
    return latest_time(cron, zone, now, within=DIGEST_GRACE)


def week_of(moment: datetime, zone: ZoneInfo) -> str:
    """`2027-W01`: the ISO week of `moment` in `zone`."""
    year, week, _ = moment.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def still(mentions: Collection[Mention], status: MilestoneStatus) -> tuple[Mention, ...]:
    """The mentions whose milestone is at `status` now (not moved on again since)."""
    return tuple(mention for mention in mentions if mention.milestone.status is status)


async def weekly_digest(*, session: AsyncSession, end: datetime) -> Digest:
    """The seven days before `end`."""
    start = end - WEEK
    updates = await updates_between(session=session, start=start, end=end)
    completed: dict[int, Mention] = {}
    blocked: dict[int, Mention] = {}
    for update, milestone, organisation in updates:
        moved = update.previous_status is not update.status
        if moved and update.status is MilestoneStatus.DONE:
            completed[milestone.id] = Mention(organisation, milestone)
        if moved and update.status is MilestoneStatus.BLOCKED:
            blocked[milestone.id] = Mention(organisation, milestone)
    reporting = {organisation.id: organisation for _, _, organisation in updates}
    silent: dict[int, Organisation] = {}
    for round_ in await silent_between(session=session, start=start, end=end):
        if round_.organisation_id not in silent:
            silent[round_.organisation_id] = await session.get_one(
                Organisation, round_.organisation_id
            )
    cities = summarise(await progress_rows(session=session), end)
    return Digest(
        start=start,
        end=end,
        reports=len(updates),
        reporting=tuple(sorted(reporting.values(), key=lambda o: o.slug)),
        completed=still(completed.values(), MilestoneStatus.DONE),
        blocked=still(blocked.values(), MilestoneStatus.BLOCKED),
        silent=tuple(sorted(silent.values(), key=lambda o: o.slug)),
        completion=round(sum(c.completion for c in cities) / len(cities)) if cities else 0,
        done=sum(c.done for c in cities),
        total=sum(c.total for c in cities),
    )


async def send_digest(
    *, session: AsyncSession, at: datetime, now: datetime, outreach: DigestOutreach
) -> int:
    """Queue the digest of the week ending `at` to the depa staff who do not have it yet.

    Nothing in quiet hours (the next run after 08:00 sends it); how many messages.
    """
    if in_quiet_hours(now, outreach.zone):
        return 0
    tag = f"digest:{week_of(at, outreach.zone)}"
    staff = await agency_staff_ids(session=session, roles=DIGEST_ROLES)
    have = await stored_keys(session=session, keys=[f"{tag}:m{member}" for member in staff])
    waiting = [member for member in staff if f"{tag}:m{member}" not in have]
    if not waiting:
        return 0
    digest = await weekly_digest(session=session, end=at)
    return await notify_members(
        session=session,
        member_ids=waiting,
        texts=outreach.texts,
        compose=outreach.messages.digest(digest),
        now=now,
        channels=outreach.channels,
        tag=tag,
    )


async def send_due_digest(
    *, session: AsyncSession, cron: str, now: datetime, outreach: DigestOutreach
) -> int:
    """The digest of the schedule's latest time, if due and not sent yet: the scheduler's entry."""
    at = digest_due(cron, outreach.zone, now)
    if at is None:
        return 0
    return await send_digest(session=session, at=at, now=now, outreach=outreach)
