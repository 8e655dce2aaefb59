"""The durable inbox: webhook events stored, deduplicated, claimed by workers and settled.

A webhook is acknowledged only after its events are committed (`commit_events`), so an event is
never lost; the unique (channel, event key) lets the platforms redeliver as often as they like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.base import utcnow
from db.enums import Channel, InboxStatus
from db.models import InboundEvent

# Rows per INSERT statement: far below SQLite's and asyncpg's bound-parameter limits.
_INSERT_CHUNK = 500
# New events go into the table, not the mapped class: the ORM's bulk-insert bookkeeping costs
# more than the insert itself, and no objects are wanted back.
_INBOX_TABLE = InboundEvent.metadata.tables[InboundEvent.__tablename__]
# Long tracebacks are cut: the row keeps the cause, the log keeps the whole story.
_ERROR_LIMIT = 2000
# What `commit_events` writes, column by column, in its statements' order.
_NEW_EVENT_COLUMNS = (
    "channel",
    "event_key",
    "payload",
    "occurred_at",
    "received_at",
    "status",
    "attempts",
    "last_error",
    "chat_key",
)
_SQLITE_COMMIT_EVENTS = """
INSERT INTO inbound_events
    (channel, event_key, payload, occurred_at, received_at, status, attempts, last_error, chat_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (channel, event_key) DO NOTHING
"""
# One array per column, so the statement (and its prepared plan) is the same for any batch.
_POSTGRES_COMMIT_EVENTS = """
INSERT INTO inbound_events
    (channel, event_key, payload, occurred_at, received_at, status, attempts, last_error, chat_key)
SELECT
    channel, event_key, payload::jsonb, occurred_at, received_at, status, attempts, last_error,
    chat_key
FROM unnest(
    $1::varchar[], $2::varchar[], $3::text[], $4::timestamptz[], $5::timestamptz[],
    $6::varchar[], $7::integer[], $8::text[], $9::varchar[]
) AS new (
    channel, event_key, payload, occurred_at, received_at, status, attempts, last_error, chat_key
)
ON CONFLICT (channel, event_key) DO NOTHING
"""


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One parsed platform event as the inbox stores it.

    With `skipped` (the reason) it is stored settled, never handled: its key still dedupes
    a redelivery, and the row tells an operator what was wrong with it.
    """

    event_key: str
    payload: dict[str, Any]
    occurred_at: datetime | None = None
    skipped: str | None = None
    chat_key: str | None = None  # the chat, where the channel answers its backlog out of order


def _dialect_name(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.dialect.name


async def store_events(
    *,
    session: AsyncSession,
    channel: Channel,
    events: Sequence[InboxItem],
    now: datetime | None = None,
) -> int:
    """Insert events not seen before and return how many were new; the caller commits.

    Duplicates are dropped by the database (ON CONFLICT DO NOTHING), so two webhook deliveries of
    the same event racing each other still leave one row.
    """
    rows = _new_rows(channel, events, now or utcnow())
    dialect = _dialect_name(session)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(_INBOX_TABLE)
        .on_conflict_do_nothing(index_elements=["channel", "event_key"])
        .returning(_INBOX_TABLE.c.id)
    )
    stored = 0
    for start in range(0, len(rows), _INSERT_CHUNK):
        result = await session.execute(statement, rows[start : start + _INSERT_CHUNK])
        stored += len(result.scalars().all())
    return stored


async def commit_events(
    *,
    engine: AsyncEngine,
    channel: Channel,
    events: Sequence[InboxItem],
    now: datetime | None = None,
) -> int:
    """`store_events` and its commit in one step, through the database driver; how many were new.

    This is the webhook path, once per group commit. SQLAlchemy's session and async adapters
    cost several times the insert there (a thread hop per cursor call on SQLite; BEGIN and
    COMMIT round trips on PostgreSQL), so the rows go to the driver itself: one INSERT that
    commits by itself on PostgreSQL, one executemany and its commit on SQLite. The values pass
    the columns' own bind processors first, so they are stored exactly as `store_events`
    stores them.
    """
    rows = _new_rows(channel, events, now or utcnow())
    if not rows:
        return 0
    async with engine.connect() as connection:
        dialect = connection.dialect
        processors = [
            _INBOX_TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in _NEW_EVENT_COLUMNS
        ]
        values = [
            tuple(
                process(row[name]) if process else row[name]
                for name, process in zip(_NEW_EVENT_COLUMNS, processors, strict=True)
            )
            for row in rows
        ]
        # asyncpg's or aiosqlite's connection, whose APIs differ: typed as what it is, Any.
        driver: Any = (await connection.get_raw_connection()).driver_connection
        if dialect.name == "postgresql":
            status: str = await driver.execute(_POSTGRES_COMMIT_EVENTS, *zip(*values, strict=True))
            return int(status.rsplit(" ", 1)[1])  # "INSERT 0 <rows inserted>"
        cursor = await driver.executemany(_SQLITE_COMMIT_EVENTS, values)
        await driver.commit()
        return int(cursor.rowcount)  # executemany sums the rows each insert changed


def _new_rows(
    channel: Channel, events: Sequence[InboxItem], received_at: datetime
) -> list[dict[str, Any]]:
    """The inbox rows of `events`, one per event key (the first copy in a batch wins)."""
    unique: dict[str, InboxItem] = {}
    for item in events:
        unique.setdefault(item.event_key, item)
    return [
        {
            "channel": channel,
            "event_key": item.event_key,
            "payload": item.payload,
            "occurred_at": item.occurred_at,
            "received_at": received_at,
            "status": InboxStatus.PENDING if item.skipped is None else InboxStatus.SKIPPED,
            "attempts": 0,
            "last_error": item.skipped and item.skipped[:_ERROR_LIMIT],
            "chat_key": item.chat_key,
        }
        for item in unique.values()
    ]


async def claim_pending(
    *,
    session: AsyncSession,
    limit: int,
    now: datetime | None = None,
    channels: Sequence[Channel] | None = None,
    stale_before: Mapping[Channel, datetime] | None = None,
) -> list[InboundEvent]:
    """Take up to `limit` pending events due now (of `channels`, else of any), oldest first.

    One UPDATE … RETURNING makes the claim atomic; on PostgreSQL `SKIP LOCKED` lets several
    workers claim side by side without waiting for or double-taking each other's rows. The claim
    time goes into `claimed_at` so `requeue_stale` can tell a dead worker's rows from live ones,
    and `attempts` grows by one: the pair (id, attempts) is the claim, which only its holder
    may settle. Events waiting for a retry (`next_attempt_at` ahead) stay where they are.

    `stale_before` gives, per channel, when an event is too old to be answered cheaply (LINE's
    reply token has expired): those go after the fresh ones, so a backlog does not let every
    token run out. An earlier event of a claimed event's chat is then taken too (see
    `_claim_earlier`), so that each chat is still handled in order. Uncommitted: the caller
    commits.
    """
    now = now or utcnow()
    due = (InboundEvent.status == InboxStatus.PENDING) & (
        InboundEvent.next_attempt_at.is_(None) | (InboundEvent.next_attempt_at <= now)
    )
    if channels is not None:
        due = due & InboundEvent.channel.in_(list(channels))
    stale = or_(
        false(),
        *(
            (InboundEvent.channel == channel)
            & InboundEvent.occurred_at.is_not(None)
            & (InboundEvent.occurred_at < before)
            for channel, before in (stale_before or {}).items()
        ),
    )
    # Two walks of the (status, id) index rather than one sort of the whole backlog: the
    # fresh events first, then, if there is room left, the stale ones.
    oldest_first = select(InboundEvent.id).order_by(InboundEvent.id)
    claimed = await _claim(session, oldest_first.where(due, ~stale).limit(limit), now)
    if stale_before and len(claimed) < limit:
        claimed += await _claim(
            session, oldest_first.where(due, stale).limit(limit - len(claimed)), now
        )
    elif stale_before:
        claimed += await _claim_earlier(session, claimed, due, now)
    return sorted(claimed, key=lambda event: event.id)


async def _claim(
    session: AsyncSession, candidates: Select[int], now: datetime
) -> list[InboundEvent]:
    if _dialect_name(session) == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(InboundEvent)
        .where(InboundEvent.id.in_(candidates.scalar_subquery()))
        .values(
            status=InboxStatus.PROCESSING,
            attempts=InboundEvent.attempts + 1,
            claimed_at=now,
            next_attempt_at=None,
        )
        .returning(InboundEvent)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return list(await session.scalars(statement))


async def _claim_earlier(
    session: AsyncSession,
    claimed: Sequence[InboundEvent],
    due: ColumnElement[bool],
    now: datetime,
) -> list[InboundEvent]:
    """The due events of the claimed events' chats that came before them, claimed as well.

    A fresh event may be taken ahead of older, stale ones; one of those may be from the same
    chat, and must not be answered after it.
    """
    chats: dict[Channel, set[str]] = {}
    newest = max(event.id for event in claimed)
    for event in claimed:
        if event.chat_key is not None:
            chats.setdefault(event.channel, set()).add(event.chat_key)
    if not chats:
        return []
    same_chat = or_(
        *(
            (InboundEvent.channel == channel) & InboundEvent.chat_key.in_(sorted(keys))
            for channel, keys in chats.items()
        )
    )
    return await _claim(
        session, select(InboundEvent.id).where(due, same_chat, InboundEvent.id < newest), now
    )


async def hold_claims(
    *, session: AsyncSession, events: Sequence[InboundEvent], now: datetime
) -> set[int]:
    """Confirm (and renew) the claims on `events` before handling them; the ids still held.

    The first statement of a batch's transaction, and a write: PostgreSQL then keeps the rows
    locked until the batch commits, SQLite its one write lock; nobody takes them back meanwhile.
    (SQLite's Python driver opens a transaction only at a write, so a batch that began with a
    read would see its first savepoint's release commit on its own.)
    """
    if not events:
        return set()
    table = _INBOX_TABLE.c
    connection = await session.connection()  # Core: no ORM bookkeeping on the hot path
    result = await connection.execute(
        update(_INBOX_TABLE)
        .where(
            table.id.in_([event.id for event in events]),
            table.status == InboxStatus.PROCESSING,
        )
        .values(claimed_at=now)
        .returning(table.id, table.attempts)
    )
    attempts = {event.id: event.attempts for event in events}
    return {row_id for row_id, tries in result.all() if attempts.get(row_id) == tries}


async def mark_done_many(*, session: AsyncSession, event_ids: Sequence[int], now: datetime) -> int:
    """Settle handled events whose claims `hold_claims` confirmed in this transaction."""
    if not event_ids:
        return 0
    table = _INBOX_TABLE.c
    connection = await session.connection()
    result = await connection.execute(
        update(_INBOX_TABLE)
        .where(table.id.in_(list(event_ids)), table.status == InboxStatus.PROCESSING)
        .values(status=InboxStatus.DONE, processed_at=now, last_error=None)
    )
    return int(getattr(result, "rowcount", 0))


@dataclass(frozen=True, slots=True)
class Backlog:
    """What was acknowledged and not yet handled: how many, and since when."""

    waiting: int
    oldest: datetime | None  # when the oldest of them was received


async def backlog(*, session: AsyncSession) -> Backlog:
    """The events pending or being handled now (waiting for a retry included)."""
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(InboundEvent.received_at)).where(
                InboundEvent.status.in_([InboxStatus.PENDING, InboxStatus.PROCESSING])
            )
        )
    ).one()
    return Backlog(waiting=int(count), oldest=oldest)


def held(event: InboundEvent) -> ColumnElement[bool]:
    """Whether `event`'s row is still under the claim `event` was taken with.

    A claim that outlived its lease may have been recovered and taken again by another worker:
    then the row's `attempts` has moved on, and the first holder's writes match nothing.
    """
    return (
        (InboundEvent.id == event.id)
        & (InboundEvent.status == InboxStatus.PROCESSING)
        & (InboundEvent.attempts == event.attempts)
    )


async def _settle(session: AsyncSession, event: InboundEvent, **values: Any) -> bool:
    result = await session.execute(
        update(InboundEvent)
        .where(held(event))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def mark_done(*, session: AsyncSession, event: InboundEvent, now: datetime) -> bool:
    """Record that the dispatcher finished with a claimed event; False if the claim was lost."""
    return await _settle(
        session, event, status=InboxStatus.DONE, processed_at=now, last_error=None
    )


async def retry_later(
    *, session: AsyncSession, event: InboundEvent, error: str, failures: int, at: datetime
) -> bool:
    """Put a claimed event back to pending, not to be taken before `at`; False if lost.

    `failures` is the row's new count: one more than before for a failure that uses up a try,
    the same for one that does not (the database or network was away).
    """
    return await _settle(
        session,
        event,
        status=InboxStatus.PENDING,
        next_attempt_at=at,
        failures=failures,
        last_error=error[:_ERROR_LIMIT],
    )


async def mark_dead(
    *, session: AsyncSession, event: InboundEvent, error: str, failures: int, now: datetime
) -> bool:
    """Set a claimed event aside for good with its reason; False if the claim was lost."""
    return await _settle(
        session,
        event,
        status=InboxStatus.DEAD,
        processed_at=now,
        failures=failures,
        last_error=error[:_ERROR_LIMIT],
    )


async def mark_skipped(
    *, session: AsyncSession, event: InboundEvent, reason: str, now: datetime
) -> bool:
    """Settle a claimed event nobody can read, with why: nothing to answer, nothing to retry."""
    return await _settle(
        session,
        event,
        status=InboxStatus.SKIPPED,
        processed_at=now,
        last_error=reason[:_ERROR_LIMIT],
    )


async def renew_claims(*, session: AsyncSession, event_ids: Sequence[int], now: datetime) -> int:
    """Mark events still being handled as claimed `now`, so none is taken as stale; how many."""
    if not event_ids:
        return 0
    result = await session.execute(
        update(InboundEvent)
        .where(
            InboundEvent.id.in_(list(event_ids)),
            InboundEvent.status == InboxStatus.PROCESSING,
        )
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


async def requeue_stale(*, session: AsyncSession, older_than: datetime, reason: str) -> int:
    """Return events claimed before `older_than` and never settled to pending; how many.

    A worker that died (restart, crash) leaves its claimed rows in `processing`; they are picked up
    again instead of being lost. Each such return counts as a failure with `reason`, so an event
    that kills whoever handles it runs out of tries like one that raises.
    """
    result = await session.execute(
        update(InboundEvent)
        .where(
            InboundEvent.status == InboxStatus.PROCESSING,
            (InboundEvent.claimed_at < older_than) | InboundEvent.claimed_at.is_(None),
        )
        .values(
            status=InboxStatus.PENDING,
            failures=InboundEvent.failures + 1,
            last_error=reason[:_ERROR_LIMIT],
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))
