"""The durable inbox on both databases: dedupe on store, atomic claims, settling and requeueing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, InboxStatus
from db.models import InboundEvent
from db.repositories.inbox import (
    InboxItem,
    claim_pending,
    commit_events,
    mark_dead,
    mark_done,
    renew_claims,
    requeue_stale,
    retry_later,
    store_events,
)
from db.repositories.stored_events import delete_by_key, get_event, revive
from tests.conftest import Database

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def _item(key: str, text: str = "สวัสดี") -> InboxItem:
    return InboxItem(
        event_key=key,
        payload={"type": "message", "message": {"type": "text", "text": text}},
        occurred_at=NOW - timedelta(seconds=1),
    )


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(InboundEvent)) or 0)


async def test_duplicates_in_one_batch_are_stored_once(session: AsyncSession) -> None:
    """A webhook body repeating an event id stores one row and reports one new event per id."""
    stored = await store_events(
        session=session,
        channel=Channel.LINE,
        events=[_item("01HX-a", "first"), _item("01HX-a", "again"), _item("01HX-b")],
    )
    await session.commit()

    assert stored == 2
    assert await _count(session) == 2
    kept = await get_event(session=session, channel=Channel.LINE, event_key="01HX-a")
    assert kept is not None
    assert kept.payload["message"]["text"] == "first"
    assert kept.status is InboxStatus.PENDING
    assert kept.occurred_at == NOW - timedelta(seconds=1)


async def test_redelivered_events_are_dropped_across_batches(session: AsyncSession) -> None:
    """A redelivery after commit adds only the events never seen, per channel."""
    first = await store_events(
        session=session, channel=Channel.LINE, events=[_item("e1"), _item("e2")]
    )
    await session.commit()

    again = await store_events(
        session=session, channel=Channel.LINE, events=[_item("e2"), _item("e3")]
    )
    other_channel = await store_events(
        session=session, channel=Channel.TELEGRAM, events=[_item("e2")]
    )
    await session.commit()

    assert first == 2
    assert again == 1
    assert other_channel == 1
    assert await _count(session) == 4
    assert await store_events(session=session, channel=Channel.LINE, events=[]) == 0


async def test_commit_events_writes_rows_exactly_as_store_events(database: Database) -> None:
    """The webhook's driver-level write stores what the session path stores, new keys only."""
    async with database.sessions() as session:
        await store_events(session=session, channel=Channel.LINE, events=[_item("s")], now=NOW)
        await session.commit()

    stored = await commit_events(
        engine=database.engine,
        channel=Channel.LINE,
        events=[_item("d"), _item("d", "again"), _item("s", "redelivered")],
        now=NOW,
    )

    assert stored == 1
    assert await commit_events(engine=database.engine, channel=Channel.LINE, events=[]) == 0
    columns = (
        InboundEvent.event_key,
        InboundEvent.channel,
        InboundEvent.payload,
        InboundEvent.occurred_at,
        InboundEvent.received_at,
        InboundEvent.status,
        InboundEvent.attempts,
    )
    as_stored = select(*(cast(column, String) for column in columns))
    async with database.sessions() as session:
        rows = (await session.execute(as_stored.order_by(InboundEvent.event_key))).all()
    by_driver, by_session = (tuple(row) for row in rows)
    assert by_driver[0] == "d"
    assert by_driver[1:] == by_session[1:]  # the same text for the JSON, the times, the enums


async def test_claim_takes_oldest_first_and_counts_attempts(session: AsyncSession) -> None:
    """Claims hand out pending events in arrival order, once each, marked processing."""
    await store_events(
        session=session, channel=Channel.LINE, events=[_item(f"k{n}") for n in range(5)]
    )
    await session.commit()

    first = await claim_pending(session=session, limit=3, now=NOW)
    await session.commit()
    second = await claim_pending(session=session, limit=3, now=NOW)
    await session.commit()
    third = await claim_pending(session=session, limit=3, now=NOW)

    assert [event.event_key for event in first] == ["k0", "k1", "k2"]
    assert [event.event_key for event in second] == ["k3", "k4"]
    assert third == []
    for event in [*first, *second]:
        assert event.status is InboxStatus.PROCESSING
        assert event.attempts == 1
        assert event.claimed_at == NOW


async def test_done_and_dead_events_are_not_claimed_again(session: AsyncSession) -> None:
    """Settled events leave the queue; a retried one waits its time and keeps its error."""
    await store_events(
        session=session, channel=Channel.TELEGRAM, events=[_item("1"), _item("2"), _item("3")]
    )
    done, dead, retried = await claim_pending(session=session, limit=10, now=NOW)
    assert await mark_done(session=session, event=done, now=NOW)
    error = "KeyError: 'member'" * 500
    assert await mark_dead(session=session, event=dead, error=error, failures=3, now=NOW)
    later = NOW + timedelta(seconds=4)
    assert await retry_later(session=session, event=retried, error="timeout", failures=1, at=later)
    await session.commit()
    session.expunge_all()

    assert await claim_pending(session=session, limit=10, now=later - timedelta(seconds=1)) == []
    again = await claim_pending(session=session, limit=10, now=later)
    await session.commit()

    assert [event.event_key for event in again] == ["3"]
    assert (again[0].attempts, again[0].failures) == (2, 1)
    assert again[0].last_error == "timeout"
    assert again[0].next_attempt_at is None
    settled = {event.event_key: event for event in await session.scalars(select(InboundEvent))}
    assert settled["1"].status is InboxStatus.DONE
    assert settled["1"].processed_at == NOW
    assert settled["1"].last_error is None
    assert settled["2"].status is InboxStatus.DEAD
    assert settled["2"].failures == 3
    assert settled["2"].last_error is not None
    assert settled["2"].last_error.startswith("KeyError")
    assert len(settled["2"].last_error) == 2000


async def test_only_the_current_claim_settles_an_event(session: AsyncSession) -> None:
    """A worker whose claim was recovered and taken again cannot settle the row any more."""
    await store_events(session=session, channel=Channel.LINE, events=[_item("twice")])
    (first,) = await claim_pending(session=session, limit=1, now=NOW - timedelta(minutes=1))
    session.expunge(first)  # the first worker's copy, as another process would hold it
    await requeue_stale(session=session, older_than=NOW, reason="WorkerStopped: gone")
    (second,) = await claim_pending(session=session, limit=1, now=NOW)
    await session.commit()

    assert not await mark_done(session=session, event=first, now=NOW)
    assert not await mark_dead(session=session, event=first, error="late", failures=1, now=NOW)
    assert await mark_done(session=session, event=second, now=NOW)
    await session.commit()
    assert (second.attempts, second.failures) == (2, 1)


async def test_revive_gives_only_a_dead_event_fresh_tries(session: AsyncSession) -> None:
    """A dead event goes back to pending with no failures counted; a done one is left alone."""
    await store_events(session=session, channel=Channel.LINE, events=[_item("d"), _item("ok")])
    dead, done = await claim_pending(session=session, limit=2, now=NOW)
    await mark_dead(session=session, event=dead, error="RuntimeError: bug", failures=3, now=NOW)
    await mark_done(session=session, event=done, now=NOW)
    await session.commit()

    assert await revive(session=session, event_id=dead.id)
    assert not await revive(session=session, event_id=done.id)
    assert not await revive(session=session, event_id=dead.id + done.id + 1)
    (again,) = await claim_pending(session=session, limit=5, now=NOW)
    assert (again.id, again.failures, again.attempts) == (dead.id, 0, 2)


async def test_requeue_returns_only_stale_claims(session: AsyncSession) -> None:
    """After a restart, events a dead worker claimed long ago go back to pending; fresh stay."""
    await store_events(session=session, channel=Channel.LINE, events=[_item("old"), _item("new")])
    (old,) = await claim_pending(session=session, limit=1, now=NOW - timedelta(minutes=10))
    (new,) = await claim_pending(session=session, limit=1, now=NOW)
    await session.commit()

    renewed = await renew_claims(session=session, event_ids=[new.id], now=NOW)
    requeued = await requeue_stale(
        session=session, older_than=NOW - timedelta(minutes=5), reason="WorkerStopped: gone"
    )
    await session.commit()
    session.expunge_all()

    assert (renewed, requeued) == (1, 1)
    reclaimed = await claim_pending(session=session, limit=10, now=NOW)
    assert [event.id for event in reclaimed] == [old.id]
    assert (reclaimed[0].attempts, reclaimed[0].failures) == (2, 1)
    assert reclaimed[0].last_error == "WorkerStopped: gone"
    still = await get_event(session=session, channel=Channel.LINE, event_key="new")
    assert still is not None
    assert still.id == new.id
    assert still.status is InboxStatus.PROCESSING


async def test_unsent_event_is_deleted(session: AsyncSession) -> None:
    """An unsent LINE message is removed from the inbox; a second delete finds nothing."""
    await store_events(
        session=session, channel=Channel.LINE, events=[_item("gone"), _item("kept")]
    )
    await session.commit()

    assert await delete_by_key(session=session, channel=Channel.LINE, event_key="gone")
    assert not await delete_by_key(session=session, channel=Channel.LINE, event_key="gone")
    assert not await delete_by_key(session=session, channel=Channel.TELEGRAM, event_key="kept")
    await session.commit()

    assert await get_event(session=session, channel=Channel.LINE, event_key="gone") is None
    assert await _count(session) == 1


async def test_concurrent_workers_never_share_an_event(database: Database) -> None:
    """Two workers claiming at once get disjoint events that together cover the queue."""
    async with database.sessions() as session:
        await store_events(
            session=session, channel=Channel.LINE, events=[_item(f"c{n}") for n in range(40)]
        )
        await session.commit()

    async def worker() -> list[int]:
        taken: list[int] = []
        async with database.sessions() as session:
            while batch := await claim_pending(session=session, limit=3):
                await session.commit()
                taken.extend(event.id for event in batch)
        return taken

    first, second = await asyncio.gather(worker(), worker())

    assert not set(first) & set(second)
    assert len(first) + len(second) == 40


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_postgres_claim_skips_rows_locked_by_another_worker(database: Database) -> None:
    """On PostgreSQL a claim does not wait for an open claim: it takes the next unlocked rows."""
    async with database.sessions() as session:
        await store_events(
            session=session, channel=Channel.LINE, events=[_item(f"s{n}") for n in range(4)]
        )
        await session.commit()

    async with database.sessions() as holder, database.sessions() as other:
        held = await claim_pending(session=holder, limit=2)  # transaction left open
        taken = await asyncio.wait_for(claim_pending(session=other, limit=10), timeout=5)
        await other.commit()
        await holder.commit()

    assert [event.event_key for event in held] == ["s0", "s1"]
    assert [event.event_key for event in taken] == ["s2", "s3"]


def _said(key: str, chat: str, seconds_ago: float) -> InboxItem:
    return InboxItem(
        event_key=key,
        payload={"type": "message"},
        occurred_at=NOW - timedelta(seconds=seconds_ago),
        chat_key=chat,
    )


async def test_a_backlog_is_claimed_fresh_first_yet_each_chat_in_order(
    session: AsyncSession,
) -> None:
    """Past a reply window, events wait behind fresh ones; an older event of a fresh one's chat
    is taken along with it, so no chat is answered out of order."""
    await store_events(
        session=session,
        channel=Channel.LINE,
        events=[
            _said("stale-a", "chat-a", 60),
            _said("stale-b", "chat-b", 50),
            _said("fresh-b", "chat-b", 5),
            _said("fresh-c", "chat-c", 2),
        ],
        now=NOW,
    )
    await session.commit()

    window = {Channel.LINE: NOW - timedelta(seconds=25)}
    first = await claim_pending(session=session, limit=2, now=NOW, stale_before=window)
    second = await claim_pending(session=session, limit=2, now=NOW, stale_before=window)

    assert [event.event_key for event in first] == ["stale-b", "fresh-b", "fresh-c"]
    assert [event.event_key for event in second] == ["stale-a"]
    assert {event.status for event in first + second} == {InboxStatus.PROCESSING}


async def test_without_a_reply_window_the_oldest_go_first(session: AsyncSession) -> None:
    """A channel without reply tokens keeps plain arrival order."""
    await store_events(
        session=session,
        channel=Channel.TELEGRAM,
        events=[_said("old", "c1", 60), _said("new", "c2", 1)],
        now=NOW,
    )
    await session.commit()
    window = {Channel.LINE: NOW - timedelta(seconds=25)}
    claimed = await claim_pending(session=session, limit=1, now=NOW, stale_before=window)
    assert [event.event_key for event in claimed] == ["old"]
