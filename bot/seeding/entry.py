"""The full reader of one content mapping: texts, and also numbers, moments and links."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.seeding.reader import kind_of
from bot.seeding.texts import TextFields

# Content is written in the programme's local time, whatever zone the bot displays in.
CONTENT_ZONE = ZoneInfo("Asia/Bangkok")

_RELATIVE_LINK = re.compile(r"^[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*$")
_OFFSET = re.compile(r"^(\d+)\s*([dhm])$")
_OFFSET_MINUTES = {"d": 24 * 60, "h": 60, "m": 1}
# A date alone is due at the end of that day, local time.
_END_OF_DAY = time(23, 59)


class Entry(TextFields):
    """A content mapping as every loader reads it: texts plus numbers, moments and links."""

    def integer(self, name: str, *, default: int, minimum: int, maximum: int) -> int:
        """A whole number within bounds."""
        value = self.raw(name, required=False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"expected a whole number, found {kind_of(value)}")
        if not minimum <= value <= maximum:
            self.fail(name, f"{value} is outside {minimum}..{maximum}")
        return value

    def flag(self, name: str, *, default: bool) -> bool:
        """A yes/no field (`true` or `false`); `default` when absent."""
        value = self.raw(name, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(name, f"expected true or false, found {kind_of(value)}")
        return value

    def moment(self, name: str) -> datetime:
        """A required date or date-time, as aware UTC."""
        value = self.optional_moment(name)
        if value is None:
            self.fail(name, self.required(name))
        return value

    def optional_moment(self, name: str) -> datetime | None:
        """A date (end of that day) or date-time, local to Asia/Bangkok unless it has an offset."""
        value = self.optional_text(name, max_length=40)
        if value is None:
            return None
        try:
            if len(value) == len("2027-01-31"):
                moment = datetime.combine(date.fromisoformat(value), _END_OF_DAY)
            else:
                moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(name, f"{value!r} is not an ISO date or date-time (2027-03-31T16:30)")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CONTENT_ZONE)
        return moment.astimezone(UTC)

    def day(self, name: str) -> date:
        """A required calendar date."""
        value = self.text(name, max_length=10)
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(name, f"{value!r} is not an ISO date (2018-12-20)")

    def offsets(self, name: str) -> tuple[timedelta, ...] | None:
        """Reminder offsets such as `[14d, 3d, 1d]`, or None when absent."""
        value = self.raw(name, required=False)
        if value is None:
            return None
        if not isinstance(value, list):
            self.fail(name, f"expected a list such as [14d, 3d, 1d], found {kind_of(value)}")
        offsets: list[timedelta] = []
        for item in value:
            match = _OFFSET.match(str(item).strip())
            if match is None or int(match.group(1)) == 0:
                self.fail(name, f"{item!r} is not an offset such as 14d, 3d, 2h or 30m")
            offset = timedelta(minutes=int(match.group(1)) * _OFFSET_MINUTES[match.group(2)])
            if offset in offsets:
                self.fail(name, f"offset {item!r} is listed twice")
            offsets.append(offset)
        return tuple(sorted(offsets, reverse=True))

    def link(self, name: str, base_url: str) -> str:
        """A required link (see `optional_link`)."""
        url = self.optional_link(name, base_url)
        if url is None:
            self.fail(name, self.required(name))
        return url

    def optional_link(self, name: str, base_url: str) -> str | None:
        """An https URL as it is, or a relative path joined to `base_url`; None when absent."""
        value = self.optional_text(name, max_length=900)
        if value is None:
            return None
        if value.startswith("https://"):
            if any(char.isspace() for char in value):
                self.fail(name, f"{value!r} contains spaces")
            return value
        if value.startswith("http://"):
            self.fail(name, "links must be https://")
        if not _RELATIVE_LINK.match(value) or ".." in value.split("/"):
            self.fail(name, f"{value!r} is neither an https:// URL nor a path such as a/b.pdf")
        return f"{base_url.rstrip('/')}/{value}"
