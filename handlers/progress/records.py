"""Progress as plain records (strings, numbers, booleans, None) for scripts and exports.

`citybot progress show` and `behind` print these as JSON, CSV or a table; the dashboard downloads
the same CSV; the open-data API serves `open_record`s, the same fields less anything about people.
Dates are ISO 8601: a due day in the display zone, moments in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.csvfile import csv_bytes
from db.enums import MilestoneStatus, PlanKind
from db.repositories.progress import MilestoneRow
from handlers.progress.service import BehindCity, is_overdue, progress_rows

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


def _facts(row: MilestoneRow, zone: ZoneInfo) -> dict[str, Any]:
    """Where a city's milestone stands, what it belongs to and when it is due: no people."""
    milestone = row.milestone
    due = milestone.due_at.astimezone(zone).date().isoformat() if milestone.due_at else None
    return {
        "org": row.organisation.slug,
        "org_name_th": row.organisation.name_th,
        "org_name_en": row.organisation.name_en,
        "plan": row.plan.kind.value,
        "milestone": milestone.key,
        "status": milestone.status.value,
        "percent": milestone.percent,
        "due": due,
        "updated_at": utc_iso(milestone.last_update_at),
    }


def milestone_record(row: MilestoneRow, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """One city × milestone: where it stands, when it is due, who reported last."""
    facts = _facts(row, zone)
    facts["overdue"] = is_overdue(row.milestone, now)
    facts["updated_by"] = row.updated_by
    return {field: facts[field] for field in MILESTONE_FIELDS}


def behind_record(city: BehindCity) -> dict[str, Any]:
    """A city behind: why (`overdue`, `silent`), its overdue milestones, its days silent."""
    return {
        "org": city.organisation.slug,
        "reasons": list(city.reasons),
        "overdue": [milestone.key for milestone in city.overdue],
        "silent_days": city.silent_days,
    }


async def progress_csv(*, session: AsyncSession, now: datetime, zone: ZoneInfo) -> bytes:
    """Every city's milestones as `citybot progress show --format csv` prints them (UTF-8)."""
    rows = await progress_rows(session=session)
    return csv_bytes(MILESTONE_FIELDS, [milestone_record(row, now, zone) for row in rows])


# --- open data ---------------------------------------------------------------------------------

# The fields of an open-data record: a city × milestone, with nothing about the people who
# reported (no names, notes, evidence or identities), so it may be published as it is.
OPEN_DATA_FIELDS = (
    "org",
    "org_name_th",
    "org_name_en",
    "plan",
    "milestone",
    "status",
    "percent",
    "due",
    "updated_at",
)


def open_record(row: MilestoneRow, zone: ZoneInfo) -> dict[str, Any]:
    """One city × milestone for the open-data API: never who reported or what they wrote."""
    facts = _facts(row, zone)
    return {field: facts[field] for field in OPEN_DATA_FIELDS}


async def open_records(
    *, session: AsyncSession, zone: ZoneInfo, withheld: frozenset[str]
) -> list[dict[str, Any]]:
    """Every city's milestones as open data, less the `withheld` cities, city by city in order."""
    rows = await progress_rows(session=session)
    return [open_record(row, zone) for row in rows if row.organisation.slug not in withheld]


def open_schema(zone: ZoneInfo) -> dict[str, Any]:
    """The Frictionless Table Schema of an open-data record (JSON and CSV alike)."""

    def field(name: str, kind: str, description: str, **more: Any) -> dict[str, Any]:
        return {"name": name, "type": kind, "description": description, **more}

    return {
        "fields": [
            field(
                "org",
                "string",
                "The city's stable slug (content/organisations.yaml).",
                constraints={"required": True, "pattern": "[a-z0-9-]+"},
            ),
            field("org_name_th", "string", "The city's name in Thai."),
            field("org_name_en", "string", "The city's name in English."),
            field(
                "plan",
                "string",
                "The plan the milestone belongs to.",
                constraints={"required": True, "enum": [kind.value for kind in PlanKind]},
            ),
            field(
                "milestone",
                "string",
                "The milestone's key (content/milestones.yaml), the same in every city.",
                constraints={"required": True},
            ),
            field(
                "status",
                "string",
                "Where the milestone stands.",
                constraints={"required": True, "enum": [s.value for s in MilestoneStatus]},
            ),
            field(
                "percent",
                "integer",
                "How far along it is, as its city last reported.",
                constraints={"required": True, "minimum": 0, "maximum": 100},
            ),
            field(
                "due",
                "date",
                f"The day it is due, in {zone.key} (ISO 8601 date); empty when none is set.",
            ),
            field(
                "updated_at",
                "datetime",
                "When its city last reported on it, in UTC (ISO 8601 with offset +00:00); "
                "empty when never.",
                format="any",
            ),
        ],
        "primaryKey": ["org", "milestone"],
        "missingValues": [""],
    }
