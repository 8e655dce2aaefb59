"""What a progress report may say: the checks every way of reporting goes through.

Chat, `citybot progress set` and the dashboard read percents, statuses, notes and links with
these, so a report refused in one is refused in all, with the same reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from db.enums import MilestoneStatus
from db.models import Milestone

MAX_NOTE_CHARS = 1000
MAX_URL_CHARS = 1000
PERCENT_STEPS = (25, 50, 75, 100)
_PERCENT_WORDS = re.compile(r"(%|％|เปอร์เซ็นต์|เปอร์เซ็น|เปอร์เซนต์|percent|pct|ร้อยละ)", re.I)
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)


class ProgressError(Exception):
    """A report that cannot be taken, and why (`reason` names the message people get).

    Reasons: `unknown_org`, `not_a_city`, `unknown_milestone`, `not_a_number`,
    `percent_range`, `unknown_status`, `note_too_long`, `bad_link`, `nothing_to_change`.
    """

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


# --- reading what people type --------------------------------------------------------------


def parse_percent(typed: str) -> int:
    """A percent from what people type: `60`, `60%`, `๖๐`, `60 เปอร์เซ็นต์`, `ร้อยละ 60`.

    Thai digits are Unicode decimal digits, which `int` reads as they are.
    """
    bare = _PERCENT_WORDS.sub(" ", typed).strip()
    try:
        value = int(bare)
    except ValueError:
        raise ProgressError("not_a_number", typed=typed[:40]) from None
    return check_percent(value)


def check_percent(value: int) -> int:
    """`value` if it is 0–100."""
    if not 0 <= value <= 100:
        raise ProgressError("percent_range", percent=value)
    return value


def parse_status(typed: str) -> MilestoneStatus:
    """A status by its value (`done`, `in_progress`, `in-progress`, `blocked`, …)."""
    wanted = typed.strip().casefold().replace("-", "_").replace(" ", "_")
    for status in MilestoneStatus:
        if wanted == status.value:
            return status
    raise ProgressError("unknown_status", typed=typed[:40])


def check_note(typed: str | None) -> str | None:
    """A note trimmed, None when empty; too long is refused, never cut silently."""
    note = (typed or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ProgressError("note_too_long", limit=MAX_NOTE_CHARS)
    return note or None


def check_link(typed: str) -> str:
    """An http(s) link, as evidence."""
    link = typed.strip()
    if len(link) > MAX_URL_CHARS or not _URL.match(link):
        raise ProgressError("bad_link")
    return link


def settle(status: MilestoneStatus | None, percent: int | None, current: Milestone) -> Report:
    """The status and percent a report ends with, from what was given and where it stands.

    Done is 100 % and 100 % is done; not started is 0 %. A status alone keeps the percent
    (within what it allows); a percent alone moves a milestone not started to in progress.
    """
    if status is None and percent is None:
        raise ProgressError("nothing_to_change")
    if status is None:
        assert percent is not None
        if percent == 100:
            status = MilestoneStatus.DONE
        elif current.status in (MilestoneStatus.NOT_STARTED, MilestoneStatus.DONE):
            status = MilestoneStatus.IN_PROGRESS if percent > 0 else MilestoneStatus.NOT_STARTED
        else:
            status = current.status
    if status is MilestoneStatus.DONE:
        percent = 100
    elif status is MilestoneStatus.NOT_STARTED:
        percent = 0
    elif percent is None:
        percent = current.percent if current.percent < 100 else 0
    elif percent == 100:
        status = MilestoneStatus.DONE
    return Report(status=status, percent=check_percent(percent))


@dataclass(frozen=True, slots=True)
class Report:
    """Where a milestone is to stand after a report."""

    status: MilestoneStatus
    percent: int
