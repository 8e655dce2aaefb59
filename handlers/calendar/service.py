"""Calendar feeds (RFC 5545, built with `icalendar`) and the members' private feed tokens.

The web app serves the feeds, chat hands out the links; both call these functions. A feed is
built from a fixed number of queries whatever its size: the public one from one, a member's
from four. Every component's UID is made of slugs and keys, so a calendar app that refreshes
the feed updates its events instead of adding copies; DTSTAMP is the row's last change, so
the same data gives the same bytes.

- A stage is a 30-minute event ending at its due time (a deadline at 16:30 shows as
  16:00–16:30), in UTC, with a display alarm at each of the stage's reminder offsets.
- A milestone is an all-day event on its due day in the display zone, with one alarm at 09:00
  the day before (`MILESTONE_ALARM`); milestones already done get none.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import Texts, Translator
from db.enums import Language, MilestoneStatus, OrganisationKind
from db.models import CalendarToken, Competition, Deadline, Member, Milestone, Organisation
from db.repositories import audit
from db.repositories import calendars as repo

PRODID = "-//depa Smart City Connect//citybot calendar//EN"
UID_DOMAIN = "citybot"
STAGE_LENGTH = timedelta(minutes=30)
# Relative to the start of an all-day event, that is midnight of the due day: 09:00 the day
# before (an alarm at midnight would wake nobody, or wake them).
MILESTONE_ALARM = -timedelta(hours=15)
# How often calendar apps should fetch the feed again (apps that honour it).
REFRESH = timedelta(hours=6)
TOKEN_BYTES = 24  # 32 URL-safe characters


def stage_uid(competition: Competition, stage: Deadline) -> str:
    """The stage's event UID, the same in every feed and every request."""
    return f"stage-{competition.slug}-{stage.slug}@{UID_DOMAIN}"


def milestone_uid(organisation: Organisation, milestone: Milestone) -> str:
    """The milestone's event UID."""
    return f"milestone-{organisation.slug}-{milestone.key}@{UID_DOMAIN}"


def _calendar(name: str, uid: str, zone: ZoneInfo) -> Calendar:
    calendar = Calendar.new(
        prodid=PRODID,
        calscale="GREGORIAN",
        method="PUBLISH",
        name=name,
        uid=uid,
        refresh_interval=REFRESH,
    )
    calendar.add("X-WR-TIMEZONE", zone.key)
    calendar.add("X-PUBLISHED-TTL", REFRESH)
    return calendar


def _ics(calendar: Calendar) -> bytes:
    body: bytes = calendar.to_ical()  # typed Any by icalendar
    return body


def _alarm(summary: str, trigger: timedelta) -> Alarm:
    alarm = Alarm.new(description=summary)
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", trigger)
    return alarm


def _stage_event(
    competition: Competition, stage: Deadline, language: Language, offsets: Sequence[int]
) -> Event:
    """The stage as an event ending at its due time, alarms `offsets` minutes before it."""
    summary = getattr(stage, f"title_{language.value}")
    event = Event.new(
        uid=stage_uid(competition, stage),
        summary=summary,
        description=getattr(stage, f"description_{language.value}") or None,
        start=stage.due_at - STAGE_LENGTH,
        end=stage.due_at,
        stamp=stage.updated_at,
        url=competition.rules_url,
    )
    for minutes in offsets:
        # Triggers count from the start, half an hour before the due time they are about.
        event.add_component(_alarm(summary, STAGE_LENGTH - timedelta(minutes=minutes)))
    return event


def _milestone_event(
    t: Translator, organisation: Organisation, milestone: Milestone, zone: ZoneInfo
) -> Event:
    """The milestone as an all-day event on its due day in `zone`."""
    assert milestone.due_at is not None  # dated_milestones returns only these
    day = milestone.due_at.astimezone(zone).date()
    summary = t("calendar.feed.milestone", title=getattr(milestone, f"title_{t.language.value}"))
    event = Event.new(
        uid=milestone_uid(organisation, milestone),
        summary=summary,
        start=day,
        end=day + timedelta(days=1),
        stamp=milestone.updated_at,
    )
    if milestone.status is not MilestoneStatus.DONE:
        event.add_component(_alarm(summary, MILESTONE_ALARM))
    return event


async def competition_calendar(
    *, session: AsyncSession, texts: Texts, language: Language, zone: ZoneInfo
) -> bytes:
    """The public feed: every competition stage, titles in `language`, no alarms."""
    t = texts.bind(language)
    calendar = _calendar(
        t("calendar.feed.public_name"), f"competition-{language.value}@{UID_DOMAIN}", zone
    )
    for stage, competition in await repo.stages(session=session):
        calendar.add_component(_stage_event(competition, stage, language, ()))
    return _ics(calendar)


async def member_calendar(
    *, session: AsyncSession, texts: Texts, token: str, zone: ZoneInfo
) -> bytes | None:
    """The member's private feed: the stages with their reminders as alarms and, for a city's
    members, the city's milestones; in the member's language. None for an unknown or revoked
    token, or an erased member."""
    owner = await repo.feed_owner(session=session, token=token)
    if owner is None:
        return None
    member, organisation = owner
    language = member.language.value
    t = texts.bind(member.language)
    name = t("calendar.feed.member_name", organisation=getattr(organisation, f"name_{language}"))
    calendar = _calendar(name, f"member-{member.id}-{language}@{UID_DOMAIN}", zone)
    offsets = await repo.reminder_offsets(session=session)
    for stage, competition in await repo.stages(session=session):
        event = _stage_event(competition, stage, member.language, offsets.get(stage.id, ()))
        calendar.add_component(event)
    if organisation.kind is OrganisationKind.CITY:
        milestones = await repo.dated_milestones(session=session, organisation_id=organisation.id)
        for milestone in milestones:
            calendar.add_component(_milestone_event(t, organisation, milestone, zone))
    return _ics(calendar)


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


async def issue_token(*, session: AsyncSession, member: Member, now: datetime) -> CalendarToken:
    """The member's feed token: the active one, or a new one if they have none."""
    token = await repo.active_token(session=session, member_id=member.id)
    if token is not None:
        return token
    return await repo.add_token(session=session, member_id=member.id, token=_new_token(), now=now)


async def reset_token(*, session: AsyncSession, member: Member, now: datetime) -> CalendarToken:
    """Revoke the member's feed token (its address stops working) and issue a new one; audited
    (without the tokens: the log is no place for a working address)."""
    revoked = await repo.revoke_tokens(session=session, member_id=member.id, now=now)
    await audit.record(
        session=session,
        now=now,
        action="calendar.reset",
        actor_member_id=member.id,
        target=f"member:{member.id}",
        details={"revoked": revoked},
    )
    return await repo.add_token(session=session, member_id=member.id, token=_new_token(), now=now)
