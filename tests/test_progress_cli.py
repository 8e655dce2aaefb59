"""`citybot progress show | set | behind` as operators and scripts run them (issue 12, item 6)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner, Result

from bot.cli import cli
from db.base import utcnow
from db.enums import Channel, MilestoneStatus, Role
from db.models import AuditLog, Milestone, Organisation, OutboundMessage, Plan, ProgressUpdate
from tests.factories import add_member, in_database, line, telegram

runner = CliRunner()
BANGKOK = ZoneInfo("Asia/Bangkok")
PLATFORMS = {
    "LINE_CHANNEL_SECRET": "line-secret",
    "LINE_CHANNEL_ACCESS_TOKEN": "line-token",
    "TELEGRAM_BOT_TOKEN": "123456:telegram-token",
}
FIELDS = ["org", "plan", "milestone", "status", "percent", "due", "overdue"]
FIELDS += ["updated_at", "updated_by"]

pytestmark = pytest.mark.usefixtures("isolated_settings")


def _citybot(url: str, *args: str) -> Result:
    return runner.invoke(cli, list(args), env={"DATABASE_URL": url, **PLATFORMS})


def _one_line_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def demo(seeded_database_url: str) -> str:
    """The content and the demo (`citybot seed --demo`): three cities have reported."""
    seeded = _citybot(seeded_database_url, "seed", "--demo")
    assert seeded.exit_code == 0, seeded.output
    return seeded_database_url


async def _milestone(session: Any, org: str, key: str) -> Milestone:
    found: Milestone = await session.scalar(
        select(Milestone)
        .join(Plan, Milestone.plan_id == Plan.id)
        .join(Organisation, Plan.organisation_id == Organisation.id)
        .where(Organisation.slug == org, Milestone.key == key)
    )
    return found


def _move(url: str, org: str, key: str, **values: Any) -> Milestone:
    """Set a milestone's columns straight in the database (a due date, a state)."""

    async def move(session: Any) -> Milestone:
        milestone = await _milestone(session, org, key)
        for name, value in values.items():
            setattr(milestone, name, value)
        return milestone

    moved: Milestone = in_database(url, move)
    return moved


def test_show_json_is_every_city_by_every_milestone(demo: str) -> None:
    """140 records (14 cities × 10), the demo's reports with their reporter, ISO dates, overdue."""
    _move(demo, "yala", "pmc-established", due_at=datetime(2020, 1, 31, 16, 59, tzinfo=UTC))
    _move(demo, "khon-kaen", "pmc-established", due_at=datetime(2020, 1, 31, 16, 59, tzinfo=UTC))
    # 20:00 UTC is 03:00 the next day in Bangkok: the due day is Bangkok's.
    _move(demo, "krabi", "policy-announced", due_at=datetime(2027, 3, 1, 20, 0, tzinfo=UTC))
    reported = _move(demo, "pattaya", "area-plan-drafted").last_update_at
    assert reported is not None

    result = _citybot(demo, "progress", "show", "--format", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert len(records) == 140
    assert len({record["org"] for record in records}) == 14
    assert all(list(record) == FIELDS for record in records)
    by_key = {(record["org"], record["milestone"]): record for record in records}
    pattaya = by_key["pattaya", "area-plan-drafted"]
    assert pattaya == {
        "org": "pattaya",
        "plan": "policy",
        "milestone": "area-plan-drafted",
        "status": "in_progress",
        "percent": 60,  # the newer of its two reports
        "due": "2027-03-31",
        "overdue": False,
        "updated_at": pattaya["updated_at"],
        "updated_by": "ปรีชา วงศ์สวัสดิ์",
    }
    updated_at = datetime.fromisoformat(pattaya["updated_at"])
    assert updated_at.utcoffset() == timedelta(0)
    assert updated_at == reported.replace(microsecond=0)
    assert by_key["phuket", "area-plan-drafted"]["status"] == "blocked"
    assert by_key["phuket", "area-plan-drafted"]["updated_by"] == "Kittipong Thongdee"
    assert by_key["yala", "pmc-established"]["overdue"] is True  # past due, not started
    assert by_key["khon-kaen", "pmc-established"]["overdue"] is False  # past due but done
    assert by_key["krabi", "policy-announced"]["due"] == "2027-03-02"
    never = by_key["bangkok", "asean-network-joined"]
    assert (never["status"], never["percent"], never["updated_at"], never["updated_by"]) == (
        "not_started",
        0,
        None,
        None,
    )
    assert [r["overdue"] for r in records].count(True) == 1


def test_show_org_csv_and_table(demo: str) -> None:
    """`--org` keeps one city; CSV has a header row and the same fields; the table reads."""
    result = _citybot(demo, "progress", "show", "--org", "khon-kaen", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == FIELDS
    assert len(rows) == 11
    assert {row[0] for row in rows[1:]} == {"khon-kaen"}
    done = next(row for row in rows if row[2] == "area-plan-drafted")
    assert done[3:7] == ["done", "100", "2027-03-31", "false"]
    assert done[8] == "อรุณี ศรีสุข"
    assert next(row for row in rows if row[2] == "policy-announced")[7:] == ["", ""]

    table = _citybot(demo, "progress", "show", "--org", "khon-kaen")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split()[:7] == ["ORG", "PLAN", "MILESTONE", "STATUS", "%", "DUE", "OVERDUE"]
    assert "UPDATED (Asia/Bangkok)" in lines[0]
    assert len(lines) == 11
    assert lines[2].split()[:6] == [
        "khon-kaen",
        "policy",
        "area-plan-drafted",
        "done",
        "100",
        "2027-03-31",
    ]
    assert lines[2].endswith("+07:00  อรุณี ศรีสุข")


def test_show_refuses_an_unknown_org_or_one_that_is_no_city(demo: str) -> None:
    """Unknown slugs and organisations without plans are one line and exit 2."""
    _one_line_error(_citybot(demo, "progress", "show", "--org", "atlantis"), "'atlantis'")
    _one_line_error(
        _citybot(demo, "progress", "show", "--org", "depa", "--format", "json"), "not a city"
    )


@pytest.fixture
def team(demo: str) -> str:
    """Pattaya's team reachable on LINE and Telegram, and a Yala officer who must not hear."""

    async def members(session: Any) -> None:
        await add_member(session, "pattaya", Role.EXECUTIVE, [line("1")])
        await add_member(session, "pattaya", Role.OFFICER, [telegram("2")])
        await add_member(session, "yala", Role.OFFICER, [telegram("3")])

    in_database(demo, members)
    return demo


def _written(url: str) -> tuple[list[ProgressUpdate], list[AuditLog], list[OutboundMessage]]:
    async def read(session: Any) -> tuple[Any, Any, Any]:
        updates = await session.scalars(select(ProgressUpdate).order_by(ProgressUpdate.id))
        audits = await session.scalars(select(AuditLog).where(AuditLog.action.like("progress%")))
        outbox = await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
        return list(updates), list(audits), list(outbox)

    found: tuple[list[ProgressUpdate], list[AuditLog], list[OutboundMessage]]
    found = in_database(url, read)
    return found


def test_set_records_an_operator_update_audits_it_and_tells_the_team(team: str) -> None:
    """One progress_update without a member, the audit row, a notice to each team member."""
    before, _, _ = _written(team)
    result = _citybot(
        team,
        "progress",
        "set",
        "--org",
        "pattaya",
        "--milestone",
        "policy-announced",
        "--status",
        "in-progress",
        "--percent",
        "๔๐",
        "--note",
        "ร่างประกาศเสนอนายกเมืองแล้ว",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "pattaya policy-announced: not_started 0% → in_progress 40%\n"
    updates, audits, outbox = _written(team)
    assert len(updates) == len(before) + 1
    made = updates[-1]
    assert (made.member_id, made.identity_id, made.channel) == (None, None, None)
    assert (made.previous_status, made.previous_percent) == (MilestoneStatus.NOT_STARTED, 0)
    assert (made.status, made.percent, made.note) == (
        MilestoneStatus.IN_PROGRESS,
        40,
        "ร่างประกาศเสนอนายกเมืองแล้ว",
    )
    assert [(a.actor_member_id, a.target) for a in audits] == [
        (None, f"milestone:{made.milestone_id}")
    ]
    assert audits[0].details == {
        "org": "pattaya",
        "milestone": "policy-announced",
        "from": ["not_started", 0],
        "to": ["in_progress", 40],
        "via": "cli",
    }
    reached = sorted((row.channel, row.recipients[0]) for row in outbox)
    assert reached == [(Channel.LINE, f"U{'1':0>32}"), (Channel.TELEGRAM, "2")]
    assert all(row.idempotency_key.startswith(f"progress.team:{made.id}:") for row in outbox)
    milestone = _move(team, "pattaya", "policy-announced")
    assert (milestone.status, milestone.percent, milestone.last_update_member_id) == (
        MilestoneStatus.IN_PROGRESS,
        40,
        None,
    )

    shown = _citybot(team, "progress", "show", "--org", "pattaya", "--format", "json")
    record = next(r for r in json.loads(shown.stdout) if r["milestone"] == "policy-announced")
    assert (record["percent"], record["updated_by"]) == (40, None)
    assert record["updated_at"] is not None

    done = _citybot(
        team, "progress", "set", "--org", "pattaya", "--milestone", "policy-announced",
        "--percent", "100",
    )  # fmt: skip
    assert done.stdout == "pattaya policy-announced: in_progress 40% → done 100%\n"


POLICY = ["--org", "pattaya", "--milestone", "policy-announced"]
BAD_INPUTS = [
    ([*POLICY, "--percent", "101"], "0 to 100"),
    ([*POLICY, "--percent=-5"], "-5"),
    ([*POLICY, "--percent", "half"], "'half'"),
    ([*POLICY, "--status", "finished"], "in_progress"),
    ([*POLICY, "--percent", "10", "--note", "ก" * 1001], "1,000"),
    ([*POLICY], "nothing to change"),
    ([*POLICY, "--note", "only a note"], "--status"),
    (["--org", "pattaya", "--milestone", "no-such-step", "--percent", "10"], "'no-such-step'"),
    (["--org", "atlantis", "--milestone", "policy-announced", "--percent", "10"], "'atlantis'"),
    (["--org", "depa", "--milestone", "policy-announced", "--percent", "10"], "not a city"),
]


def test_set_refuses_bad_input_with_one_line_and_saves_nothing(team: str) -> None:
    """Each bad input: `error:` on one line, exit 2, no report, no audit, no notice."""
    before = _written(team)
    for arguments, fragment in BAD_INPUTS:
        _one_line_error(_citybot(team, "progress", "set", *arguments), fragment)
    after = _written(team)
    assert [len(rows) for rows in after] == [len(rows) for rows in before]
    assert _move(team, "pattaya", "policy-announced").status is MilestoneStatus.NOT_STARTED


def test_behind_as_of_names_overdue_and_silent_cities(seeded_database_url: str) -> None:
    """Yala has an overdue milestone; Khon Kaen has said nothing for 40 days; nobody else."""
    url, now = seeded_database_url, utcnow()

    async def arrange(session: Any) -> None:
        await session.execute(update(Milestone).values(due_at=now + timedelta(days=400)))
        await session.execute(update(Plan).values(created_at=now))
        yala = await _milestone(session, "yala", "pmc-established")
        yala.due_at = now + timedelta(days=3)
        phuket = await _milestone(session, "phuket", "pmc-established")
        phuket.due_at, phuket.percent = now + timedelta(days=3), 100
        phuket.status = MilestoneStatus.DONE
        phuket.last_update_at = now - timedelta(days=1)
        khon_kaen = await session.scalar(
            select(Organisation.id).where(Organisation.slug == "khon-kaen")
        )
        await session.execute(
            update(Plan)
            .where(Plan.organisation_id == khon_kaen)
            .values(created_at=now - timedelta(days=30, hours=1))
        )

    in_database(url, arrange)
    as_of = now + timedelta(days=10)
    local = as_of.astimezone(BANGKOK).replace(tzinfo=None).isoformat(timespec="minutes")
    expected = [
        {
            "org": "yala",
            "reasons": ["overdue"],
            "overdue": ["pmc-established"],
            "silent_days": None,
        },
        {"org": "khon-kaen", "reasons": ["silent"], "overdue": [], "silent_days": 40},
    ]
    result = _citybot(url, "progress", "behind", "--as-of", local, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == expected
    # The same moment with its offset, in UTC: the same answer.
    utc = as_of.replace(second=0, microsecond=0).isoformat()
    assert (
        json.loads(_citybot(url, "progress", "behind", "--as-of", utc, "--format", "json").stdout)
        == expected
    )

    table = _citybot(url, "progress", "behind", "--as-of", local)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ORG", "REASONS", "SILENT", "DAYS", "OVERDUE", "MILESTONES"]
    assert lines[1].split() == ["yala", "overdue", "pmc-established"]
    assert lines[2].split() == ["khon-kaen", "silent", "40"]

    today = _citybot(url, "progress", "behind", "--format", "json")  # by default: now
    assert today.exit_code == 0, today.output
    assert [(city["org"], city["silent_days"]) for city in json.loads(today.stdout)] == [
        ("khon-kaen", 30)
    ]
    _one_line_error(_citybot(url, "progress", "behind", "--as-of", "next week"), "--as-of")

    async def count(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(ProgressUpdate)))

    assert in_database(url, count) == 0  # reading changed nothing
