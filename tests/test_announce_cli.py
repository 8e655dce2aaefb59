"""`citybot announce …` as an operator runs it: send, schedule, status, cancel, approve."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cli import cli
from db.base import utcnow
from db.enums import AnnouncementStatus, Channel, OutboxStatus, Role
from db.models import Announcement, AuditLog, OutboundMessage
from db.repositories import announcements as announcement_repo
from db.repositories.outbox import settle
from tests.factories import PLATFORMS, add_member, in_database, line, one_line_error, telegram

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("isolated_settings")


def _citybot(url: str, *args: str, input: str | None = None, **env: str) -> Result:
    return runner.invoke(
        cli, list(args), env={"DATABASE_URL": url, **PLATFORMS, **env}, input=input
    )


@pytest.fixture
def programme(seeded_database_url: str) -> str:
    """Seven members: linked on both platforms, one platform each, blocked, console-only."""

    async def members(session: Any) -> None:
        await add_member(
            session, "khon-kaen", Role.EXECUTIVE, [line("1"), telegram("1")],
            last_channel=Channel.LINE,
        )  # fmt: skip
        await add_member(
            session, "khon-kaen", Role.OFFICER, [line("2"), telegram("2")],
            last_channel=Channel.TELEGRAM,
        )  # fmt: skip
        await add_member(session, "yala", Role.OFFICER, [line("3")])
        await add_member(session, "yala", Role.OFFICER, [telegram("4")])
        await add_member(session, "depa", Role.ADMIN, [telegram("5")])
        await add_member(session, "phuket", Role.EXECUTIVE, [line("6", blocked=True)])
        await add_member(session, "phuket", Role.OFFICER, [])

    in_database(seeded_database_url, members)
    return seeded_database_url


def _rows(url: str) -> list[OutboundMessage]:
    async def read(session: Any) -> list[OutboundMessage]:
        return list(await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))

    rows: list[OutboundMessage] = in_database(url, read)
    return rows


def _announcement(url: str, announcement_id: int) -> Announcement:
    async def read(session: Any) -> Announcement:
        found: Announcement = await session.get_one(Announcement, announcement_id)
        return found

    found: Announcement = in_database(url, read)
    return found


def test_send_all_reaches_every_member_once_on_both_channels(programme: str) -> None:
    """`send --audience all --yes`: each reachable member once, on the channel they used last."""
    result = _citybot(
        programme, "announce", "send", "--audience", "all", "--text", "สวัสดี", "--yes"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "queued 4 messages for 5 people; the running bot delivers them"
    )
    assert "skipped: 1 blocked the bot, 1 not on LINE or Telegram" in result.stdout
    rows = _rows(programme)
    reached = [(row.channel, user) for row in rows for user in row.recipients]
    assert sorted(reached) == sorted(
        [
            (Channel.LINE, f"U{'1':0>32}"),
            (Channel.TELEGRAM, "2"),
            (Channel.LINE, f"U{'3':0>32}"),
            (Channel.TELEGRAM, "4"),
            (Channel.TELEGRAM, "5"),
        ]
    )
    assert {row.announcement_id for row in rows} == {1}
    assert _announcement(programme, 1).status is AnnouncementStatus.SENDING

    async def audit(session: Any) -> list[tuple[str, dict[str, Any]]]:
        entries = await session.execute(select(AuditLog.action, AuditLog.details))
        return [(action, details) for action, details in entries]

    logged = dict(in_database(programme, audit))
    assert logged["announce.send"]["via"] == "cli"
    assert logged["announce.release"]["blocked"] == {"line": 1}


def test_send_asks_first_without_yes(programme: str) -> None:
    """Without --yes the preview and count are shown and nothing is queued unless confirmed."""
    declined = _citybot(
        programme, "announce", "send", "--audience", "role:officer", "--text", "ประชุม", input="n\n"
    )
    assert declined.exit_code == 1
    assert "📢 ประกาศจาก depa\n\nประชุม" in declined.stdout
    assert "to role:officer: 3 people now" in declined.stdout
    assert "nothing queued" in declined.stdout
    assert _rows(programme) == []
    accepted = _citybot(
        programme, "announce", "send", "--audience", "role:officer", "--text", "ประชุม", input="y\n"
    )
    assert accepted.exit_code == 0, accepted.output
    assert "queued 3 messages for 3 people" in accepted.stdout
    assert len(_rows(programme)) == 3


def test_schedule_with_at_then_cancel(programme: str) -> None:
    """--at in the future schedules (nothing queued yet); cancel withdraws it for good."""
    at = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    result = _citybot(
        programme, "announce", "send", "--audience", "org:yala", "--text", "x", "--at", at, "--yes"
    )
    assert result.exit_code == 0, result.output
    assert "announcement #1 to org:yala scheduled for" in result.stdout
    assert "(Asia/Bangkok), 2 people now" in result.stdout
    assert _rows(programme) == []
    scheduled = _announcement(programme, 1)
    assert scheduled.status is AnnouncementStatus.SCHEDULED
    assert scheduled.scheduled_at is not None
    status = _citybot(programme, "announce", "status", "1")
    assert "announcement #1: scheduled, to org:yala" in status.stdout
    assert "not released yet" in status.stdout
    cancelled = _citybot(programme, "announce", "cancel", "1")
    assert cancelled.stdout.strip() == "announcement #1 cancelled; nothing of it will be sent"
    assert _announcement(programme, 1).status is AnnouncementStatus.CANCELLED
    one_line_error(
        _citybot(programme, "announce", "cancel", "1"),
        "announcement #1 is cancelled; only one not yet released can be cancelled",
    )


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--audience", "everyone"), ("--audience: unknown audience 'everyone'",)),
        (("--audience", "role:mayor"), ("unknown role 'mayor'",)),
        (("--audience", "org:atlantis"), ("unknown organisation 'atlantis' (known: ",)),
        (
            ("--audience", "all", "--at", "2020-01-01T09:00"),
            ("--at 2020-01-01T09:00+07:00", "past"),
        ),
        (("--audience", "all", "--at", "soon"), ("--at 'soon' is not a date and time",)),
    ],
)
def test_bad_input_isone_line_error(
    programme: str, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    """A bad SPEC or --at ends as one `error:` line, exit 2, nothing queued."""
    result = _citybot(programme, "announce", "send", *args, "--text", "x", "--yes")
    one_line_error(result, *fragments)
    assert _rows(programme) == []


def test_without_platforms_nothing_can_go_out(programme: str) -> None:
    """With neither LINE nor Telegram configured the operator is told why, not silently ignored."""
    result = runner.invoke(
        cli,
        ["announce", "send", "--audience", "all", "--text", "x", "--yes"],
        env={"DATABASE_URL": programme},
    )
    one_line_error(result, "neither LINE", "TELEGRAM_BOT_TOKEN")


def test_status_table_after_delivery(programme: str) -> None:
    """status: a row per channel and the total, the unreachable, and the time to deliver."""
    sent = _citybot(programme, "announce", "send", "--audience", "all", "--text", "x", "--yes")
    assert sent.exit_code == 0, sent.output
    rows = _rows(programme)

    async def deliver(session: Any) -> None:
        release = await session.scalar(
            select(AuditLog.created_at).where(AuditLog.action == "announce.release")
        )
        for index, row in enumerate(rows):
            outcome = OutboxStatus.FAILED if index == 0 else OutboxStatus.SENT
            done = release + timedelta(seconds=10 * (index + 1))
            await settle(session=session, message_id=row.id, status=outcome, now=done)

    in_database(programme, deliver)
    result = _citybot(programme, "announce", "status", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "announcement #1: sent, to all"
    table = {line.split()[0]: line.split()[1:] for line in lines[2:5]}
    total = table["total"]
    assert total == ["6", "4", "1", "1", "0", "0", "0"]
    assert table["line"][0] == "3"  # two on LINE and the one who blocked the bot there
    assert "not on LINE or Telegram: 1" in result.stdout
    assert "time to deliver 40 s" in result.stdout
    one_line_error(_citybot(programme, "announce", "status", "7"), "no announcement #7")


def test_operator_approves_a_coordinators_announcement(programme: str) -> None:
    """`approve ID` is the second person: a pending announcement is released at once."""

    async def pending(session: Any) -> int:
        created = await announcement_repo.create_announcement(
            session=session,
            author_member_id=None,
            text="รออนุมัติ",
            audience="org:khon-kaen",
            status=AnnouncementStatus.PENDING_APPROVAL,
            now=utcnow(),
        )
        return created.id

    announcement_id = in_database(programme, pending)
    result = _citybot(programme, "announce", "approve", str(announcement_id))
    assert result.exit_code == 0, result.output
    assert "approved; queued 2 messages for 2 people" in result.stdout
    assert _announcement(programme, announcement_id).status is AnnouncementStatus.SENDING
    listed = _citybot(programme, "announce", "list")
    assert f"{announcement_id:<6}sending" in listed.stdout
    one_line_error(
        _citybot(programme, "announce", "approve", str(announcement_id)),
        "is sending, not awaiting approval",
    )
