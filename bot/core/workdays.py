"""Working days in Thailand: Monday to Friday, less the public holidays of content/holidays.yaml.

Promises such as "depa answers within two working days" count these, in the display time zone:
a question asked on Friday evening is due on Tuesday evening, not on Sunday.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SATURDAY = 5


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    """Whether `day` (a date where the work is) is a weekday and no public holiday."""
    return day.weekday() < SATURDAY and day not in holidays


def after_working_days(
    moment: datetime, days: int, zone: ZoneInfo, holidays: Collection[date]
) -> datetime:
    """The same time of day `days` working days after `moment`, read in `zone`.

    A moment on a day off counts from the start of the next working day, so a question sent
    on Saturday is due as one sent first thing on Monday.
    """
    local = moment.astimezone(zone)
    day = local.date()
    if not is_working_day(day, holidays):
        while not is_working_day(day, holidays):
            day += timedelta(days=1)
        local = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return datetime.combine(day, local.timetz()).astimezone(moment.tzinfo)
