"""Issue 14: `citybot partners list` as scripts read it: its columns, filters and refusals."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from bot.cli import cli
from db.enums import InterestStatus, OfferStatus
from tests.factories import PLATFORMS, in_database, one_line_error
from tests.handlers.offers_kit import FIRM, OTHER_FIRM, add_firm, add_interest, add_offer

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("isolated_settings")


def citybot(url: str, *args: str) -> Result:
    """Run `citybot ARGS` against the database at `url`."""
    return runner.invoke(cli, list(args), env={"DATABASE_URL": url, **PLATFORMS})


async def four_offers(session: AsyncSession) -> list[int]:
    """An open offer with two interests (one introduced), a pending, a rejected, a closed one."""
    firm, other = await add_firm(session, FIRM), await add_firm(session, OTHER_FIRM)
    portal = await add_offer(
        session,
        firm,
        "Open data portal",
        status=OfferStatus.OPEN,
        domains=("governance", "energy"),
    )
    await add_interest(session, portal, "yala", InterestStatus.INTRODUCED)
    await add_interest(session, portal, "krabi", InterestStatus.EXPRESSED)
    bikes = await add_offer(session, other, "Bike sharing", domains=("mobility",))
    drones = await add_offer(session, firm, "Drones", status=OfferStatus.REJECTED)
    grid = await add_offer(session, other, "Grid batteries", status=OfferStatus.CLOSED)
    return [portal.id, bikes.id, drones.id, grid.id]


def test_partners_list_json_is_one_record_per_offer_with_counts(seeded_database_url: str) -> None:
    """JSON: every offer (rejected too), oldest first, with exactly the contract's keys."""
    ids = in_database(seeded_database_url, four_offers)

    result = citybot(seeded_database_url, "partners", "list", "--format", "json")

    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert records[0] == {
        "id": ids[0],
        "org": FIRM,
        "title": "Open data portal",
        "domains": ["energy", "governance"],
        "status": "open",
        "interests": 2,
        "introduced": 1,
    }
    assert [(r["id"], r["org"], r["status"]) for r in records] == [
        (ids[0], FIRM, "open"),
        (ids[1], OTHER_FIRM, "pending"),
        (ids[2], FIRM, "rejected"),
        (ids[3], OTHER_FIRM, "closed"),
    ]
    assert [(r["interests"], r["introduced"]) for r in records[1:]] == [(0, 0)] * 3


def test_partners_list_filters_by_status_and_prints_a_table(seeded_database_url: str) -> None:
    """--status picks one status; the table has the contract's columns, domains comma-joined."""
    ids = in_database(seeded_database_url, four_offers)

    for status, wanted in (("open", ids[0]), ("pending", ids[1]), ("CLOSED", ids[3])):
        result = citybot(
            seeded_database_url, "partners", "list", "--status", status, "--format", "json"
        )
        assert result.exit_code == 0, result.output
        assert [record["id"] for record in json.loads(result.stdout)] == [wanted]

    table = citybot(seeded_database_url, "partners", "list", "--status", "open")
    assert table.exit_code == 0, table.output
    heading, row = table.stdout.splitlines()
    assert heading.split() == [
        "ID",
        "ORG",
        "TITLE",
        "DOMAINS",
        "STATUS",
        "INTERESTS",
        "INTRODUCED",
    ]
    assert row.split("  ")[0] == str(ids[0])
    assert f"{FIRM}  Open data portal  energy,governance  open    2" in row
    assert row.rstrip().endswith("1")


def test_partners_list_without_offers_says_so(seeded_database_url: str) -> None:
    """No offers: the table says so, JSON is an empty list."""
    assert citybot(seeded_database_url, "partners", "list").stdout == "no offers\n"
    result = citybot(seeded_database_url, "partners", "list", "--format", "json")
    assert json.loads(result.stdout) == []


def test_partners_list_refuses_an_unknown_status_on_one_line(seeded_database_url: str) -> None:
    """An unknown --status (rejected is not one to filter by) is one `error:` line, exit 2."""
    for status in ("archived", "rejected"):
        result = citybot(seeded_database_url, "partners", "list", "--status", status)
        one_line_error(result, f"--status '{status}'", "open|pending|closed")
