"""`citybot tickets list | remind` as operators and scripts run them (issue 14, item 5)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from bot.cli import cli
from bot.core.texts import Texts
from bot.settings import DEFAULT_CONTENT_DIR
from db.enums import Channel, Role
from db.models import Member, OutboundMessage
from handlers.questions import service
from handlers.questions.notices import ChatNotices
from tests.factories import PLATFORMS, add_member, in_database, line, one_line_error, telegram
from tests.handlers.submissions_kit import BANGKOK, bangkok

runner = CliRunner()
FIELDS = ["id", "org", "asked_at", "status", "first_reply_at"]

pytestmark = pytest.mark.usefixtures("isolated_settings")


def _citybot(url: str, *args: str) -> Result:
    return runner.invoke(cli, ["tickets", *args], env={"DATABASE_URL": url, **PLATFORMS})


@pytest.fixture
def asked(seeded_database_url: str) -> str:
    """Khon Kaen asked Monday and was answered Tuesday; Yala asked Wednesday; Pattaya closed."""
    texts = Texts.load(DEFAULT_CONTENT_DIR)
    outreach = service.Outreach(
        texts=texts, channels=(Channel.LINE,), notices=ChatNotices(BANGKOK), zone=BANGKOK
    )

    async def work(session: AsyncSession) -> None:
        coordinator = await add_member(session, "depa", Role.COORDINATOR, [telegram("9")])
        askers: list[Member] = [
            await add_member(session, org, Role.OFFICER, [line(str(n))])
            for n, org in enumerate(("khon-kaen", "yala", "pattaya"))
        ]
        for asker, moment in zip(
            askers, ("2027-01-04T09:00", "2027-01-06T13:30", "2027-01-07T08:00"), strict=True
        ):
            await service.ask(
                session=session,
                member=asker,
                question="คำถาม",
                channel=Channel.LINE,
                now=bangkok(moment),
                outreach=outreach,
            )
        first, _, third = await service.list_tickets(session=session)
        await service.reply(
            session=session,
            coordinator=coordinator,
            ticket_id=first[0].id,
            text="คำตอบ",
            channel=Channel.TELEGRAM,
            now=bangkok("2027-01-05T10:15"),
            outreach=outreach,
        )
        await service.close_ticket(
            session=session,
            member=askers[2],
            ticket_id=third[0].id,
            now=bangkok("2027-01-07T09:00"),
            outreach=outreach,
        )

    in_database(seeded_database_url, work)
    return seeded_database_url


def _json(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    records: list[dict[str, Any]] = json.loads(result.stdout)
    assert all(list(record) == FIELDS for record in records)
    return records


def test_list_prints_each_ticket_in_json_with_offsets(asked: str) -> None:
    """JSON: id, org (slug), asked_at and first_reply_at with +07:00, status; oldest first."""
    records = _json(_citybot(asked, "list", "--format", "json"))
    assert [(r["org"], r["status"]) for r in records] == [
        ("khon-kaen", "answered"),
        ("yala", "open"),
        ("pattaya", "closed"),
    ]
    first = records[0]
    assert (first["asked_at"], first["first_reply_at"]) == (
        "2027-01-04T09:00:00+07:00",
        "2027-01-05T10:15:00+07:00",
    )
    assert records[1]["first_reply_at"] is None
    assert records[0]["id"] < records[1]["id"] < records[2]["id"]


def test_list_filters_by_status_and_prints_a_table(asked: str) -> None:
    """--status open lists Yala only; the table has the five columns; none matching says so."""
    (only,) = _json(_citybot(asked, "list", "--status", "open", "--format", "json"))
    assert only["org"] == "yala"
    table = _citybot(asked, "list", "--status", "answered")
    assert table.exit_code == 0, table.output
    heading, row = table.stdout.splitlines()[:2]
    assert heading.split() == [f.upper() for f in FIELDS]
    assert row.split()[1:] == [
        "khon-kaen",
        "2027-01-04T09:00:00+07:00",
        "answered",
        "2027-01-05T10:15:00+07:00",
    ]


def test_an_unknown_status_is_one_error_line(asked: str) -> None:
    """--status pending: one `error:` line naming the statuses there are, exit 2."""
    one_line_error(
        _citybot(asked, "list", "--status", "pending"), "pending", "open, answered, closed"
    )


def test_list_of_an_empty_database(seeded_database_url: str) -> None:
    """No tickets: an empty JSON list, and "no tickets" as a table."""
    assert _json(_citybot(seeded_database_url, "list", "--format", "json")) == []
    result = _citybot(seeded_database_url, "list")
    assert result.exit_code == 0 and result.stdout.strip() == "no tickets"


def test_remind_reminds_each_unanswered_ticket_once(asked: str) -> None:
    """Yala's Wednesday question: not yet on Thursday, reminded Friday 13:30, once."""
    assert _citybot(asked, "remind", "--as-of", "2027-01-07T14:00").stdout == "reminded: 0\n"
    assert _citybot(asked, "remind", "--as-of", "2027-01-08T13:30").stdout == "reminded: 1\n"
    assert _citybot(asked, "remind", "--as-of", "2027-01-08T14:30").stdout == "reminded: 0\n"

    async def reminders(session: AsyncSession) -> list[str]:
        rows = await session.scalars(
            select(OutboundMessage.idempotency_key).where(
                OutboundMessage.idempotency_key.like("ticket:%:reminder:%")
            )
        )
        return list(rows)

    assert len(in_database(asked, reminders)) == 1


def test_remind_needs_a_platform(seeded_database_url: str) -> None:
    """Without LINE or Telegram configured nobody can be reminded: one error line."""
    result = runner.invoke(cli, ["tickets", "remind"], env={"DATABASE_URL": seeded_database_url})
    one_line_error(result, "reminders")
