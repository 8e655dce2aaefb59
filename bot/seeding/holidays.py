"""holidays.yaml: Thailand's public holidays, the days off besides weekends (see core.workdays)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.seeding.entry import Entry
from bot.seeding.texts import Bilingual


@dataclass(frozen=True)
class HolidaySpec:
    """A public holiday: its date and name."""

    day: date
    name: Bilingual[str]


def load_holidays(content_dir: Path) -> tuple[HolidaySpec, ...]:
    """The holidays by date, each date once; a bad or repeated date is a ContentError."""
    file = Entry.top(content_dir, "holidays.yaml")
    seen: dict[str, str] = {}
    holidays: list[HolidaySpec] = []
    for entry in file.entries("holidays", key_field="date"):
        day = entry.day("date")
        entry.unique("date", day.isoformat(), seen)
        holidays.append(HolidaySpec(day=day, name=entry.bilingual("name", max_length=200)))
    file.done()
    return tuple(sorted(holidays, key=lambda holiday: holiday.day))


def holiday_dates(content_dir: Path) -> frozenset[date]:
    """The holidays' dates, for counting working days."""
    return frozenset(holiday.day for holiday in load_holidays(content_dir))
