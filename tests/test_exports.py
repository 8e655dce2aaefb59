"""The dashboard's downloads as services (issue 16, part 3): the progress CSV is the CLI's, byte
for byte; the submissions CSV is `citybot submissions list`'s records; ticket statistics count
and time the tickets per organisation."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from bot.cli import cli
from db.base import utcnow
from db.enums import TicketStatus
from db.models import Organisation, Ticket
from handlers.progress.records import progress_csv
from handlers.questions.records import ticket_statistics_csv
from handlers.submissions.service import submissions_csv
from tests.factories import in_database
from tests.handlers.submissions_kit import store_link

runner = CliRunner()
BANGKOK = ZoneInfo("Asia/Bangkok")

pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def demo(seeded_database_url: str) -> str:
    """The content and the demo: reports from three cities, their members' names and notes."""
    seeded = runner.invoke(cli, ["seed", "--demo"], env={"DATABASE_URL": seeded_database_url})
    assert seeded.exit_code == 0, seeded.output
    return seeded_database_url


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


def test_progress_csv_is_what_the_cli_prints(demo: str) -> None:
    """The download and `citybot progress show --format csv` are the same bytes: one writer."""

    async def export(session: AsyncSession) -> bytes:
        return await progress_csv(session=session, now=utcnow(), zone=BANGKOK)

    body = in_database(demo, export)
    command = ["progress", "show", "--format", "csv"]
    printed = runner.invoke(cli, command, env={"DATABASE_URL": demo})
    assert printed.exit_code == 0, printed.output
    assert body == printed.stdout_bytes
    rows = _rows(body)
    assert rows[0][:3] == ["org", "plan", "milestone"] and rows[0][-1] == "updated_by"
    assert len(rows) == 1 + 14 * 10


def test_submissions_csv_is_the_listed_records(demo: str) -> None:
    """One row per current entry, the columns and values of `submissions list --format json`."""
    at = datetime(2027, 2, 25, 3, 0, tzinfo=UTC)

    async def hand_in(session: AsyncSession) -> None:
        await store_link(session, "khon-kaen", "registration", "SCP27-KKN-RE-01", at, late=False)
        await store_link(session, "phuket", "registration", "SCP27-PKT-RE-01", at, late=False)
        late = at + timedelta(days=30)
        await store_link(session, "pattaya", "concept-note", "SCP27-PTY-CN-01", late, late=True)

    async def export(session: AsyncSession) -> bytes:
        return await submissions_csv(session=session, zone=BANGKOK)

    in_database(demo, hand_in)
    rows = _rows(in_database(demo, export))
    listed = runner.invoke(
        cli, ["submissions", "list", "--format", "json"], env={"DATABASE_URL": demo}
    )
    assert listed.exit_code == 0, listed.output
    records = json.loads(listed.stdout)
    assert rows[0] == ["org", "stage", "reference", "submitted_at", "late", "kind"]
    assert len(records) == 3
    assert {(row[0], row[4]) for row in rows[1:]} == {
        ("khon-kaen", "false"),
        ("phuket", "false"),
        ("pattaya", "true"),
    }
    cells = [[str(r[f]).lower() if f == "late" else str(r[f]) for f in rows[0]] for r in records]
    assert rows[1:] == cells


def test_ticket_statistics_per_organisation(seeded_database_url: str) -> None:
    """Asked, open, answered, closed and the median hours to depa's first reply, per org."""
    asked = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)

    async def ask(session: AsyncSession) -> None:
        cities = await session.scalars(select(Organisation))
        ids = {city.slug: city.id for city in cities}
        for org, status, hours in [
            ("pattaya", TicketStatus.OPEN, None),
            ("pattaya", TicketStatus.ANSWERED, 2),
            ("pattaya", TicketStatus.CLOSED, 5),
            ("pattaya", TicketStatus.ANSWERED, 30),
            ("yala", TicketStatus.OPEN, None),
        ]:
            session.add(
                Ticket(
                    organisation_id=ids[org],
                    question="เอกสารแผนส่งที่ไหน",
                    status=status,
                    asked_at=asked,
                    first_reply_at=asked + timedelta(hours=hours) if hours else None,
                    last_message_at=asked,
                )
            )

    async def export(session: AsyncSession) -> bytes:
        return await ticket_statistics_csv(session=session)

    in_database(seeded_database_url, ask)
    assert _rows(in_database(seeded_database_url, export)) == [
        ["org", "asked", "open", "answered", "closed", "median_hours_to_first_reply"],
        ["pattaya", "4", "1", "2", "1", "5.0"],
        ["yala", "1", "1", "0", "0", ""],
    ]
