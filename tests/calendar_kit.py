"""Reading the .ics feeds back with icalendar, and what the database says they should hold."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar, Event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Competition, Deadline, Reminder

STAGES = 5  # content/competitions.yaml
STAGE_UID = "stage-smart-city-plan-2027-{slug}@citybot"


def parse(body: bytes) -> Calendar:
    """The feed parsed back, with the calendar-level properties every feed must have."""
    calendar = Calendar.from_ical(body)
    assert isinstance(calendar, Calendar)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-TIMEZONE"] == "Asia/Bangkok"
    assert calendar["X-WR-CALNAME"]
    for event in calendar.events:
        assert event["UID"] and event["SUMMARY"]
        assert event.decoded("DTSTAMP").tzinfo is not None  # present, in UTC
    return calendar


def stage_events(calendar: Calendar) -> list[Event]:
    """The feed's stage events."""
    return [e for e in calendar.events if str(e["UID"]).startswith("stage-")]


def milestone_events(calendar: Calendar) -> list[Event]:
    """The feed's milestone events."""
    return [e for e in calendar.events if str(e["UID"]).startswith("milestone-")]


def alarm_times(event: Event) -> set[datetime]:
    """When the event's alarms go off (triggers count from its start)."""
    start = event.decoded("DTSTART")
    alarms = [c for c in event.subcomponents if isinstance(c, Alarm)]
    assert all(alarm["ACTION"] == "DISPLAY" and alarm["DESCRIPTION"] for alarm in alarms)
    return {start + alarm.decoded("TRIGGER") for alarm in alarms}


def is_utc(moment: datetime | date) -> bool:
    """A date-time in UTC (a `Z` time in the feed)."""
    return isinstance(moment, datetime) and moment.utcoffset() == timedelta(0)


async def stage_titles(session: AsyncSession) -> dict[str, tuple[str, str]]:
    """Each stage's UID with its Thai and English titles."""
    rows = await session.execute(
        select(Deadline.slug, Deadline.title_th, Deadline.title_en, Competition.slug).join(
            Competition, Competition.id == Deadline.competition_id
        )
    )
    return {f"stage-{c}-{slug}@citybot": (th, en) for slug, th, en, c in rows}


async def expected_alarms(session: AsyncSession) -> dict[str, set[datetime]]:
    """Each stage's UID with the times of its reminders (due time minus each offset)."""
    rows = await session.execute(
        select(Competition.slug, Deadline.slug, Deadline.due_at, Reminder.offset_minutes)
        .join(Competition, Competition.id == Deadline.competition_id)
        .outerjoin(Reminder, Reminder.deadline_id == Deadline.id)
    )
    alarms: dict[str, set[datetime]] = defaultdict(set)
    for competition, slug, due, minutes in rows:
        alarms[f"stage-{competition}-{slug}@citybot"].update(
            () if minutes is None else {due - timedelta(minutes=minutes)}
        )
    return dict(alarms)
