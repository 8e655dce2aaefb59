"""Progress as plain records (strings, numbers, booleans, None) for scripts and exports.

`citybot progress show` and `behind` print these as JSON, CSV or a table; the open-data API can
serve the same fields. Dates are ISO 8601: a due day in the display zone, moments in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from db.repositories.progress import MilestoneRow
from handlers.progress.service import BehindCity, is_overdue

# The fields of a milestone record, in the order CSV and tables show them.
MILESTONE_FIELDS = (
    "org",
    "plan",
    "milestone",
    "status",
    "percent",
    "due",
    "overdue",
    "updated_at",
    "updated_by",
)


def utc_iso(moment: datetime | None) -> str | None:
    """`2027-01-29T16:59:00+00:00`: a moment in UTC to the second, or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def milestone_record(row: MilestoneRow, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """One city × milestone: where it stands, when it is due, who reported last."""
    milestone = row.milestone
    due = milestone.due_at.astimezone(zone).date().isoformat() if milestone.due_at else None
    return {
        "org": row.organisation.slug,
        "plan": row.plan.kind.value,
        "milestone": milestone.key,
        "status": milestone.status.value,
        "percent": milestone.percent,
        "due": due,
        "overdue": is_overdue(milestone, now),
        "updated_at": utc_iso(milestone.last_update_at),
        "updated_by": row.updated_by,
    }


def behind_record(city: BehindCity) -> dict[str, Any]:
    """A city behind: why (`overdue`, `silent`), its overdue milestones, its days silent."""
    return {
        "org": city.organisation.slug,
        "reasons": list(city.reasons),
        "overdue": [milestone.key for milestone in city.overdue],
        "silent_days": city.silent_days,
    }
