"""`citybot checkin run` as an operator (or a cron job) runs it: counts per step, plain errors."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner, Result

from bot.cli import cli
from db.enums import Channel, ChatKind, Role
from db.models import Chat
from handlers.progress.service import city_of
from tests.factories import PLATFORMS, add_member, in_database, line, one_line_error, telegram
from tests.handlers.checkin_teams import GROUP_CHAT

runner = CliRunner()

pytestmark = pytest.mark.usefixtures("isolated_settings")


def _citybot(url: str, *args: str, **env: str) -> Result:
    return runner.invoke(cli, ["checkin", "run", *args], env={"DATABASE_URL": url, **env})


def _counts(result: Result) -> dict[str, int]:
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    steps = [line.split(": ", 1) for line in lines[:4]]
    assert [step for step, _ in steps] == ["round", "officers", "executive", "silent"]
    return {step: int(count) for step, count in steps}


@pytest.fixture
def programme(seeded_database_url: str) -> str:
    """Khon Kaen's executive (LINE) and officer (Telegram) and its LINE group; Yala's officer."""

    async def members(session: Any) -> None:
        await add_member(session, "khon-kaen", Role.EXECUTIVE, [line("1")])
        await add_member(session, "khon-kaen", Role.OFFICER, [telegram("2")])
        await add_member(session, "yala", Role.OFFICER, [line("3")])
        city = await city_of(session=session, slug="khon-kaen")
        session.add(
            Chat(
                channel=Channel.LINE,
                external_id=GROUP_CHAT,
                kind=ChatKind.GROUP,
                organisation_id=city.id,
            )
        )

    in_database(seeded_database_url, members)
    return seeded_database_url


def test_each_run_prints_what_it_queued_per_step_and_nothing_twice(programme: str) -> None:
    """Monday 09:00 asks every city (Khon Kaen: two people and a group; Yala: one); Wednesday
    reminds the officers, Friday the executives; the next Monday they are silent. Each run
    again queues nothing."""
    monday = "2027-01-04T09:00"
    assert _counts(_citybot(programme, "--as-of", monday, **PLATFORMS)) == {
        "round": 4,
        "officers": 0,
        "executive": 0,
        "silent": 0,
    }
    again = _counts(_citybot(programme, "--as-of", "2027-01-04T10:00+07:00", **PLATFORMS))
    assert again == {"round": 0, "officers": 0, "executive": 0, "silent": 0}
    wednesday = _counts(_citybot(programme, "--as-of", "2027-01-06T02:05Z", **PLATFORMS))
    assert wednesday == {"round": 0, "officers": 2, "executive": 0, "silent": 0}
    friday = _counts(_citybot(programme, "--as-of", "2027-01-08T09:05", **PLATFORMS))
    assert friday == {"round": 0, "officers": 0, "executive": 1, "silent": 0}
    later = _counts(_citybot(programme, "--as-of", "2027-01-08T09:10", **PLATFORMS))
    assert later["executive"] == 0
    next_monday = _counts(_citybot(programme, "--as-of", "2027-01-11T08:00", **PLATFORMS))
    assert next_monday == {"round": 0, "officers": 0, "executive": 0, "silent": 2}


def test_a_run_in_the_night_says_messages_wait(programme: str) -> None:
    """A round due at 22:00: nothing goes out then, and the output says why; at 08:00 it does."""
    at_night = {"CITYBOT_CHECKIN_CRON": "0 22 * * MON", **PLATFORMS}
    result = _citybot(programme, "--as-of", "2027-01-04T22:00", **at_night)
    assert _counts(result)["round"] == 0
    assert result.stdout.splitlines()[4] == (
        "2027-01-04T22:00+07:00 is in the quiet hours (21:00-08:00): messages due wait until 08:00"
    )
    morning = _citybot(programme, "--as-of", "2027-01-05T08:00", **at_night)
    assert _counts(morning)["round"] == 4
    assert len(morning.stdout.splitlines()) == 4


def test_operator_mistakes_are_one_error_line(programme: str) -> None:
    """A date that is not ISO, no platform to send on, a mistyped schedule: exit 2, one line."""
    one_line_error(
        _citybot(programme, "--as-of", "4/1/2027", **PLATFORMS), "--as-of '4/1/2027'", "ISO 8601"
    )
    one_line_error(_citybot(programme, "--as-of", "2027-13-01T09:00", **PLATFORMS), "ISO 8601")
    one_line_error(_citybot(programme), "neither LINE", "nor Telegram")
    one_line_error(
        _citybot(programme, CITYBOT_CHECKIN_CRON="every monday", **PLATFORMS),
        "CITYBOT_CHECKIN_CRON: 'every monday' is not a crontab schedule",
    )
