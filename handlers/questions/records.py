"""Tickets as plain records (strings, numbers, None) for `citybot tickets list` and downloads.

The listing prints each ticket; the dashboard's statistics count and time them per
organisation. Both read `service.list_tickets`'s one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.csvfile import csv_bytes
from db.enums import TicketStatus
from db.models import Ticket
from handlers.questions.service import Listed, list_tickets


def ticket_records(rows: Sequence[Listed], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Tickets as the CLI prints them: id, org, asked_at, status, first_reply_at."""

    def iso(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat() if moment is not None else None

    return [
        {
            "id": ticket.id,
            "org": organisation.slug,
            "asked_at": iso(ticket.asked_at),
            "status": ticket.status.value,
            "first_reply_at": iso(ticket.first_reply_at),
        }
        for ticket, organisation, _ in rows
    ]


# The columns of the ticket statistics, per organisation that asked.
TICKET_STATISTICS_FIELDS = (
    "org",
    "asked",
    "open",
    "answered",
    "closed",
    "median_hours_to_first_reply",
)


def ticket_statistics(rows: Sequence[Listed]) -> list[dict[str, Any]]:
    """Per organisation that asked (by slug): tickets asked, open, answered and closed, and the
    median hours from asking to depa's first reply over those replied to (None: none yet)."""
    grouped: dict[str, list[Ticket]] = {}
    for ticket, organisation, _ in rows:
        grouped.setdefault(organisation.slug, []).append(ticket)
    statistics = []
    for slug in sorted(grouped):
        tickets = grouped[slug]
        waits = [
            (ticket.first_reply_at - ticket.asked_at).total_seconds() / 3600
            for ticket in tickets
            if ticket.first_reply_at is not None
        ]
        counts = {status: sum(t.status is status for t in tickets) for status in TicketStatus}
        statistics.append(
            {
                "org": slug,
                "asked": len(tickets),
                **{status.value: counts[status] for status in TicketStatus},
                "median_hours_to_first_reply": round(median(waits), 1) if waits else None,
            }
        )
    return statistics


async def ticket_statistics_csv(*, session: AsyncSession) -> bytes:
    """The ticket statistics as CSV (UTF-8), from the one query that lists the tickets."""
    statistics = ticket_statistics(await list_tickets(session=session))
    return csv_bytes(TICKET_STATISTICS_FIELDS, statistics)
