"""Issue 13: `citybot deadlines list` and `citybot submissions list` as scripts read them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from bot.cli import cli
from tests.factories import PLATFORMS, in_database, one_line_error
from tests.handlers.submissions_kit import bangkok, store_link

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("isolated_settings")


def citybot(url: str, *args: str) -> Result:
    """Run `citybot ARGS` against the database at `url`."""
    return runner.invoke(cli, list(args), env={"DATABASE_URL": url, **PLATFORMS})


def test_deadlines_list_is_one_record_per_stage_with_offsets_and_reminders(
    seeded_database_url: str,
) -> None:
    """JSON: each stage in order, due and reminders in ISO 8601 with the +07:00 offset."""
    result = citybot(seeded_database_url, "deadlines", "list", "--format", "json")

    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [record["stage"] for record in records] == [
        "registration",
        "concept-note",
        "full-plan",
        "pitching",
        "results",
    ]
    assert records[0] == {
        "competition": "smart-city-plan-2027",
        "stage": "registration",
        "title_th": "ลงทะเบียนสมัครเข้าร่วมประกวด",
        "title_en": "Registration",
        "due": "2027-02-26T16:30:00+07:00",
        "reminders": [
            "2027-02-12T16:30:00+07:00",
            "2027-02-23T16:30:00+07:00",
            "2027-02-25T16:30:00+07:00",
        ],
    }
    assert records[3]["reminders"] == ["2027-09-08T09:00:00+07:00", "2027-09-14T09:00:00+07:00"]
    assert records[4]["reminders"] == []
    for record in records:
        due = datetime.fromisoformat(record["due"])
        assert due.utcoffset() is not None and due.astimezone(UTC) > datetime(
            2027, 1, 1, tzinfo=UTC
        )

    table = citybot(seeded_database_url, "deadlines", "list")
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0].split() == [
        "COMPETITION",
        "STAGE",
        "DUE",
        "REMINDERS",
        "TITLE",
    ]
    assert "registration" in table.stdout and "2027-02-26T16:30" in table.stdout


def test_submissions_list_is_the_current_entries_of_each_city(seeded_database_url: str) -> None:
    """JSON: org, stage, reference, submitted_at (with offset), late, kind; replaced not listed."""
    empty = citybot(seeded_database_url, "submissions", "list", "--format", "json")
    assert empty.exit_code == 0, empty.output
    assert (empty.exit_code, json.loads(empty.stdout)) == (0, [])

    async def hand_in(session: AsyncSession) -> None:
        at = bangkok("2027-02-01T10:15")
        await store_link(session, "khon-kaen", "registration", "SCP27-KKN-RE-01", at, late=False)
        late = bangkok("2027-05-02T09:00")
        await store_link(session, "pattaya", "concept-note", "SCP27-PTY-CN-01", late, late=True)

    in_database(seeded_database_url, hand_in)

    result = citybot(seeded_database_url, "submissions", "list", "--format", "json")
    one = citybot(
        seeded_database_url, "submissions", "list", "--stage", "concept-note", "--format", "json"
    )
    table = citybot(seeded_database_url, "submissions", "list")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "org": "khon-kaen",
            "stage": "registration",
            "reference": "SCP27-KKN-RE-01",
            "submitted_at": "2027-02-01T10:15:00+07:00",
            "late": False,
            "kind": "link",
        },
        {
            "org": "pattaya",
            "stage": "concept-note",
            "reference": "SCP27-PTY-CN-01",
            "submitted_at": "2027-05-02T09:00:00+07:00",
            "late": True,
            "kind": "link",
        },
    ]
    assert [record["org"] for record in json.loads(one.stdout)] == ["pattaya"]
    assert table.stdout.splitlines()[0].split() == [
        "ORG",
        "STAGE",
        "REFERENCE",
        "SUBMITTED_AT",
        "LATE",
        "KIND",
    ]
    assert "SCP27-PTY-CN-01" in table.stdout and "true" in table.stdout


def test_an_unknown_stage_is_one_error_line_naming_the_stages(seeded_database_url: str) -> None:
    """`--stage nope` → `error: …` on stderr, exit 2, the known stages listed."""
    result = citybot(seeded_database_url, "submissions", "list", "--stage", "nope")

    one_line_error(result, "--stage 'nope'", "registration", "concept-note")
    assert result.stdout == ""
