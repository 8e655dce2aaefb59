"""Crontab schedules: read once (a typo stops the start), and the latest time one fell due.

A schedule is five crontab fields (`0 9 * * MON`) read in the display time zone. The work it
starts looks back for its latest time rather than trusting the moment it was fired, so a time
missed while no process ran is still done once, when one comes back within a grace.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_STEP = timedelta(seconds=1)  # crontab times fall on whole minutes: a second past one is after it


class ScheduleError(ValueError):
    """A crontab expression that cannot be read; the message says what is wrong."""


def cron_trigger(expression: str, zone: ZoneInfo) -> CronTrigger:
    """The trigger of a crontab expression (minute hour day month weekday) in `zone`."""
    try:
        return CronTrigger.from_crontab(expression.strip(), timezone=zone)
    except ValueError as error:
        raise ScheduleError(
            f"{expression!r} is not a crontab schedule (minute hour day month weekday, "
            f"e.g. '0 9 * * MON'): {error}"
        ) from None


def latest_time(
    expression: str, zone: ZoneInfo, now: datetime, *, within: timedelta
) -> datetime | None:
    """The schedule's latest time at or before `now`, in UTC, if no older than `within`."""
    trigger = cron_trigger(expression, zone)
    start = (now - within).astimezone(zone)
    latest = None
    moment = trigger.get_next_fire_time(None, start)
    while moment is not None and moment <= now:
        latest = moment
        moment = trigger.get_next_fire_time(moment, moment + _STEP)
    return latest.astimezone(UTC) if latest is not None else None
