"""`citybot inbox dead` and `citybot inbox retry`: what an operator sees and can do."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import cli
from db.enums import Channel, InboxStatus
from db.models import InboundEvent
from db.repositories.audit import list_entries
from db.repositories.inbox import InboxItem, claim_pending, mark_dead, mark_done, store_events
from db.session import create_engine, create_session_factory

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("isolated_settings")
RECEIVED = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


async def _dead_and_done(url: str) -> tuple[int, int]:
    """One dead event and one done; their ids."""
    engine = create_engine(url)
    async with create_session_factory(engine)() as session, session.begin():
        items = [InboxItem("tg-7", {"update_id": 7}), InboxItem("tg-8", {"update_id": 8})]
        await store_events(session=session, channel=Channel.TELEGRAM, events=items, now=RECEIVED)
        dead, done = await claim_pending(session=session, limit=2, now=RECEIVED)
        error = "RuntimeError: bug\nin a handler"
        await mark_dead(session=session, event=dead, error=error, failures=3, now=RECEIVED)
        await mark_done(session=session, event=done, now=RECEIVED)
    await engine.dispose()
    return dead.id, done.id


async def _status_and_audit(url: str, event_id: int) -> tuple[InboxStatus, int, list[str]]:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        row = await session.scalar(select(InboundEvent).where(InboundEvent.id == event_id))
        entries = await list_entries(session=session, action="inbox.retry")
    await engine.dispose()
    assert row is not None
    return row.status, row.failures, [entry.target or "" for entry in entries]


def test_issue11_dead_events_are_listed_as_a_table_and_as_json(database_url: str) -> None:
    """The table shows the dead event on one line; JSON is a list of objects on stdout."""
    dead_id, _ = asyncio.run(_dead_and_done(database_url))
    env = {"DATABASE_URL": database_url}

    table = runner.invoke(cli, ["inbox", "dead"], env=env)
    as_json = runner.invoke(cli, ["inbox", "dead", "--format", "json"], env=env)

    assert table.exit_code == 0, table.output
    heading, line = table.stdout.splitlines()
    assert heading.split()[:4] == ["ID", "CHANNEL", "EVENT", "KEY"]
    assert line.split()[:4] == [str(dead_id), "telegram", "tg-7", "1"]
    assert line.endswith("RuntimeError: bug in a handler")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [
        {
            "id": dead_id,
            "channel": "telegram",
            "event_key": "tg-7",
            "attempts": 1,
            "reason": "RuntimeError: bug\nin a handler",
            "received_at": RECEIVED.isoformat(),
        }
    ]


def test_issue11_retry_queues_a_dead_event_again_and_refuses_others(database_url: str) -> None:
    """`retry ID` makes a dead event pending (audited); a done or unknown id is one error line."""
    dead_id, done_id = asyncio.run(_dead_and_done(database_url))
    env = {"DATABASE_URL": database_url}

    retried = runner.invoke(cli, ["inbox", "retry", str(dead_id)], env=env)
    done = runner.invoke(cli, ["inbox", "retry", str(done_id)], env=env)
    unknown = runner.invoke(cli, ["inbox", "retry", "999999"], env=env)

    assert retried.exit_code == 0, retried.output
    assert asyncio.run(_status_and_audit(database_url, dead_id)) == (
        InboxStatus.PENDING,
        0,
        [f"inbound_event:{dead_id}"],
    )
    for result, fragment in ((done, "is done, not dead"), (unknown, "no inbox event has id")):
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.splitlines()
        assert line.startswith("error: ") and fragment in line
    empty = runner.invoke(cli, ["inbox", "dead"], env=env)
    assert empty.stdout.strip() == "no dead events"
