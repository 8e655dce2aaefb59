"""Check-ins: each city team is asked, on a schedule, about its milestones overdue or due soon,
and a team that does not answer is reminded, then reported to depa as not responding.

A round (`run_round`) asks each city with something to list once, in one message to its team
(executive and officers, each in their language, and its group chats in Thai), one button per
milestone. Its `CheckinRound` row, unique per city and schedule time, makes a second run of the
same round a no-op. A city nobody could be asked in (no member or group reachable on LINE or
Telegram) gets no row: it is not on the bot yet rather than silent, and is asked if someone
joins before the round's grace is over.

Escalation (`run_escalations`) then walks the unanswered rounds: two days after the question the
officers are reminded (the executive, where a city has no officer), four days after it the
executive, and from the start of the seventh day the city is marked silent for depa's digest.
Each step is stamped on the round and each message has its own idempotency key, so restarts
and parallel workers never repeat one. A report on a listed milestone answers the round
(`service.record_update`) and stops the rest. No message leaves between 21:00 and 08:00 in the
display zone: a step due then waits until 08:00. Being marked silent is no message and waits
for nothing, so Monday's 08:30 digest names last Monday's silent cities.

`run_due` is what the scheduler and `citybot checkin run` call: the escalation steps due now,
then the schedule's latest round if not run yet and at most `ROUND_GRACE` old (a round missed
while no process ran, or held back by the night, still goes out once).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import in_quiet_hours
from bot.core.schedules import latest_time
from bot.core.texts import Texts
from bot.delivery.notices import Compose, notify_chats, notify_members
from db.enums import CITY_ROLES, Channel, MilestoneStatus, Role
from db.models import CheckinRound, Milestone, Organisation
from db.repositories.checkins import (
    cities_asked,
    open_round,
    rounds_waiting,
)
from db.repositories.members import active_group_chats, active_member_ids
from handlers.progress.service import progress_rows

DUE_SOON = timedelta(days=30)  # a milestone due within this is listed, as is an overdue one
ROUND_GRACE = timedelta(days=1)  # a round missed for longer is left to the next one
OFFICERS_AFTER = timedelta(days=2)
EXECUTIVE_AFTER = timedelta(days=4)
SILENT_ON_DAY = 7  # counted in calendar days from the day of the question


def silent_from(asked_at: datetime, zone: ZoneInfo) -> datetime:
    """When an unanswered round makes its city silent: the start of the seventh day after."""
    day = asked_at.astimezone(zone).date() + timedelta(days=SILENT_ON_DAY)
    return datetime.combine(day, time(0), tzinfo=zone)


def round_due(cron: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The schedule's latest time at or before `now`, unless older than `ROUND_GRACE`."""
    return latest_time(cron, zone, now, within=ROUND_GRACE)


def is_listed(milestone: Milestone, round_at: datetime) -> bool:
    """Not done, and overdue or due within `DUE_SOON` of the round's time."""
    return (
        milestone.status is not MilestoneStatus.DONE
        and milestone.due_at is not None
        and milestone.due_at <= round_at + DUE_SOON
    )


@dataclass(frozen=True, slots=True)
class CheckinNote:
    """What a check-in message is about: the city, its round, the milestones asked about."""

    organisation: Organisation
    round: CheckinRound
    milestones: tuple[Milestone, ...]
    now: datetime


class CheckinMessages(Protocol):
    """How check-in messages are written (the chat views do it), per recipient language."""

    def ask(self, note: CheckinNote) -> Compose:
        """The round's question to the team: the milestones, each with an update button."""

    def remind_officers(self, note: CheckinNote) -> Compose:
        """The reminder after two days without an answer."""

    def remind_executive(self, note: CheckinNote) -> Compose:
        """The executive's reminder after four days."""


@dataclass(frozen=True, slots=True)
class CheckinOutreach:
    """Where check-in messages go and how they are written."""

    texts: Texts
    channels: Collection[Channel]
    zone: ZoneInfo
    messages: CheckinMessages


@dataclass(slots=True)
class Tally:
    """What one run did: messages queued per step, and cities newly marked silent."""

    round: int = 0
    officers: int = 0
    executive: int = 0
    silent: int = 0
    rounds: list[CheckinRound] = field(default_factory=list)  # opened by this run

    @property
    def queued(self) -> int:
        """Messages queued, all steps together."""
        return self.round + self.officers + self.executive


def listed_by_city(
    rows: Sequence[tuple[Organisation, Milestone]], round_at: datetime
) -> list[tuple[Organisation, tuple[Milestone, ...]]]:
    """Each city with the milestones a round at `round_at` asks about, soonest due first."""
    by_city: dict[int, tuple[Organisation, list[Milestone]]] = {}
    for organisation, milestone in rows:
        if is_listed(milestone, round_at):
            by_city.setdefault(organisation.id, (organisation, []))[1].append(milestone)
    return [
        (organisation, tuple(sorted(found, key=lambda m: (m.due_at, m.position, m.id))))
        for organisation, found in by_city.values()
    ]


async def run_round(
    *, session: AsyncSession, round_at: datetime, now: datetime, outreach: CheckinOutreach
) -> Tally:
    """Ask every city not yet asked in the round at `round_at` about its listed milestones.

    A city with nothing listed gets nothing. In quiet hours nothing happens: the next run
    after 08:00 asks.
    """
    tally = Tally()
    if in_quiet_hours(now, outreach.zone):
        return tally
    asked = await cities_asked(session=session, round_at=round_at)
    rows = [(row.organisation, row.milestone) for row in await progress_rows(session=session)]
    for organisation, milestones in listed_by_city(rows, round_at):
        if organisation.id in asked:
            continue
        round_ = await open_round(
            session=session,
            organisation_id=organisation.id,
            round_at=round_at,
            milestone_ids=[m.id for m in milestones],
            asked_at=now,
        )
        if round_ is None:  # another run opened it a moment ago
            continue
        note = CheckinNote(organisation=organisation, round=round_, milestones=milestones, now=now)
        compose = outreach.messages.ask(note)
        tag = f"checkin:{round_.id}"
        members = await active_member_ids(
            session=session, organisation_ids=[organisation.id], roles=CITY_ROLES
        )
        queued = await _tell(session, members, compose, tag, now, outreach)
        queued += await notify_chats(
            session=session,
            chats=await active_group_chats(session=session, organisation_ids=[organisation.id]),
            texts=outreach.texts,
            compose=compose,
            now=now,
            channels=outreach.channels,
            tag=tag,
        )
        if not queued:  # nobody on the bot to ask: not a silent city, one not there yet
            await session.delete(round_)
            await session.flush()
            continue
        tally.round += queued
        tally.rounds.append(round_)
    return tally


async def run_escalations(
    *, session: AsyncSession, now: datetime, outreach: CheckinOutreach
) -> Tally:
    """Take every escalation step due at `now` on the rounds still waiting for an answer.

    Only a city's latest round sends reminders (a newer round has asked again), but any
    unanswered round makes its city silent in time.
    """
    tally = Tally()
    quiet = in_quiet_hours(now, outreach.zone)
    for round_, latest in await rounds_waiting(session=session):
        asked_at = round_.asked_at
        assert asked_at is not None  # rounds_waiting returns asked rounds only
        if now >= silent_from(asked_at, outreach.zone):
            round_.silent_at = now
            tally.silent += 1
            continue
        if quiet or not latest:
            continue
        officers_due = round_.officers_reminded_at is None and now >= asked_at + OFFICERS_AFTER
        executive_due = round_.executive_reminded_at is None and now >= asked_at + EXECUTIVE_AFTER
        if not officers_due and not executive_due:
            continue
        note = await _note(session, round_, now)
        if officers_due:
            tally.officers += await _remind(session, note, Role.OFFICER, now, outreach)
            round_.officers_reminded_at = now
        if executive_due:
            tally.executive += await _remind(session, note, Role.EXECUTIVE, now, outreach)
            round_.executive_reminded_at = now
    await session.flush()
    return tally


async def run_due(
    *, session: AsyncSession, cron: str, now: datetime, outreach: CheckinOutreach
) -> Tally:
    """The escalation steps due at `now`, then the round due (if not run yet): the scheduler's
    and `citybot checkin run`'s one entry."""
    tally = await run_escalations(session=session, now=now, outreach=outreach)
    round_at = round_due(cron, outreach.zone, now)
    if round_at is not None:
        opened = await run_round(session=session, round_at=round_at, now=now, outreach=outreach)
        tally.round, tally.rounds = opened.round, opened.rounds
    return tally


async def _note(session: AsyncSession, round_: CheckinRound, now: datetime) -> CheckinNote:
    """The round with its city and milestones, for writing a reminder."""
    organisation = await session.get_one(Organisation, round_.organisation_id)
    found = await session.scalars(select(Milestone).where(Milestone.id.in_(round_.milestone_ids)))
    milestones = tuple(sorted(found, key=lambda m: (m.due_at, m.position, m.id)))
    return CheckinNote(organisation=organisation, round=round_, milestones=milestones, now=now)


async def _remind(
    session: AsyncSession, note: CheckinNote, role: Role, now: datetime, outreach: CheckinOutreach
) -> int:
    """One reminder step: to the city's members in `role`; how many messages.

    A city without officers has its executive hear the officers' reminder too: someone who
    can answer must.
    """
    organisation_id = note.organisation.id
    members = await active_member_ids(
        session=session, organisation_ids=[organisation_id], roles=[role]
    )
    if role is Role.OFFICER:
        compose, step = outreach.messages.remind_officers(note), "officers"
        if not members:
            members = await active_member_ids(
                session=session, organisation_ids=[organisation_id], roles=[Role.EXECUTIVE]
            )
    else:
        compose, step = outreach.messages.remind_executive(note), "executive"
    tag = f"checkin:{note.round.id}:{step}"
    return await _tell(session, members, compose, tag, now, outreach)


async def _tell(
    session: AsyncSession,
    members: Collection[int],
    compose: Compose,
    tag: str,
    now: datetime,
    outreach: CheckinOutreach,
) -> int:
    """Queue `compose` to `members` in their languages; how many messages."""
    return await notify_members(
        session=session,
        member_ids=members,
        texts=outreach.texts,
        compose=compose,
        now=now,
        channels=outreach.channels,
        tag=tag,
    )
