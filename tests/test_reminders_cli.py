"""`citybot reminders run` as an operator (or a cron job) runs it: counts, plain errors."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner, Result

from bot.cli import cli
from db.enums import Role
from tests.delivery.reminder_kit import group_chat, submit
from tests.factories import PLATFORMS, add_member, in_database, line, one_line_error, telegram

runner = CliRunner()

pytestmark = pytest.mark.usefixtures("isolated_settings")


def _citybot(url: str, *args: str, **env: str) -> Result:
    return runner.invoke(cli, ["reminders", "run", *args], env={"DATABASE_URL": url, **env})


def _counts(result: Result) -> dict[str, int]:
    assert result.exit_code == 0, result.output
    lines = [line.split(": ", 1) for line in result.stdout.splitlines()[:3]]
    assert [name for name, _ in lines] == ["reminders", "skipped", "queued"]
    return {name: int(count) for name, count in lines}


@pytest.fixture
def programme(seeded_database_url: str) -> str:
    """Khon Kaen's executive (LINE) and group; Yala's officer (Telegram), whose city has handed
    registration in."""

    async def members(session: Any) -> None:
        await add_member(session, "khon-kaen", Role.EXECUTIVE, [line("1")])
        await group_chat(session, "khon-kaen", "C" + "0" * 31 + "1")
        await add_member(session, "yala", Role.OFFICER, [telegram("2")])
        await submit(session, "yala", "registration")

    in_database(seeded_database_url, members)
    return seeded_database_url


def test_each_run_prints_what_it_sent_and_nothing_twice(programme: str) -> None:
    """The 14-day reminder of registration (12 Feb 2027 16:30 Bangkok) goes to Khon Kaen's
    executive and group; run again, nothing; after downtime the 3-day one is skipped for the
    1-day one."""
    before = _counts(_citybot(programme, "--as-of", "2027-02-12T16:29", **PLATFORMS))
    assert before == {"reminders": 0, "skipped": 0, "queued": 0}
    due = _counts(_citybot(programme, "--as-of", "2027-02-12T16:30", **PLATFORMS))
    assert due == {"reminders": 1, "skipped": 0, "queued": 2}
    again = _counts(_citybot(programme, "--as-of", "2027-02-12T09:40Z", **PLATFORMS))
    assert again == {"reminders": 0, "skipped": 0, "queued": 0}
    later = _counts(_citybot(programme, "--as-of", "2027-02-25T17:00+07:00", **PLATFORMS))
    assert later == {"reminders": 1, "skipped": 1, "queued": 2}


def test_a_run_in_the_night_says_reminders_wait(programme: str) -> None:
    """At 22:00 nothing goes out and the output says why."""
    result = _citybot(programme, "--as-of", "2027-02-12T22:00", **PLATFORMS)
    assert _counts(result) == {"reminders": 0, "skipped": 0, "queued": 0}
    assert result.stdout.splitlines()[3] == (
        "2027-02-12T22:00+07:00 is in the quiet hours (21:00-08:00): "
        "reminders due wait until 08:00"
    )
    morning = _citybot(programme, "--as-of", "2027-02-13T08:00", **PLATFORMS)
    assert _counts(morning) == {"reminders": 1, "skipped": 0, "queued": 2}
    assert len(morning.stdout.splitlines()) == 3


def test_operator_mistakes_are_one_error_line(programme: str) -> None:
    """A date that is not ISO, no platform to send on: exit 2, one line."""
    one_line_error(
        _citybot(programme, "--as-of", "12/2/2027", **PLATFORMS), "--as-of '12/2/2027'", "ISO 8601"
    )
    one_line_error(_citybot(programme, "--as-of", "2027-02-30T09:00", **PLATFORMS), "ISO 8601")
    one_line_error(_citybot(programme), "neither LINE", "nor Telegram", "reminders")
