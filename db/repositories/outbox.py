"""The outbox: every outgoing message stored before sending, claimed by workers, settled once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.enums import Channel, OutboxStatus
from db.models import OutboundMessage

_ERROR_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class Draft:
    """One outgoing message before it is stored."""

    channel: Channel
    recipients: Sequence[str]
    payload: dict[str, Any]
    idempotency_key: str
    identity_id: int | None = None
    retry_key: str | None = None


def chat_key(draft: Draft) -> str:
    """What must stay in order: the chat for a single recipient; a batch is its own key."""
    if len(draft.recipients) == 1:
        return draft.recipients[0]
    return f"batch:{draft.idempotency_key}"


async def enqueue_many(
    *,
    session: AsyncSession,
    drafts: Sequence[Draft],
    now: datetime,
    announcement_id: int | None = None,
) -> int:
    """Store messages in a few multi-row INSERTs, skipping keys stored before; how many are new.

    A broadcast to thousands must not take thousands of round trips inside its transaction. One
    Core statement with many parameter sets lets SQLAlchemy batch the rows ("insertmanyvalues")
    from a statement compiled once, which is several times cheaper than a fresh VALUES list.
    """
    if not drafts:
        return 0
    statement = _insert(session).returning(OutboundMessage.id)
    connection = await session.connection()  # Core: the ORM's per-row bookkeeping is not needed
    rows = [_row(draft, now, announcement_id) for draft in drafts]
    return len((await connection.execute(statement, rows)).all())


async def store_claimed(
    *, session: AsyncSession, drafts: Sequence[Draft], now: datetime, lease_until: datetime
) -> list[OutboundMessage]:
    """Store messages already claimed for sending until `lease_until`; the rows stored now.

    For answers the process sends itself the moment they commit: no worker has to find and
    claim them first, and should the process die the lease runs out and a worker takes over.
    """
    if not drafts:
        return []
    rows = [
        {
            **_row(draft, now, None),
            "status": OutboxStatus.SENDING,
            "attempts": 1,
            "claimed_until": lease_until,
        }
        for draft in drafts
    ]
    # Core, returning only the keys: the messages are made here from what was stored, rather
    # than read back (a payload each) and tracked by the session.
    connection = await session.connection()
    stored = await connection.execute(
        _insert(session).returning(OutboundMessage.id, OutboundMessage.idempotency_key), rows
    )
    ids = {key: message_id for message_id, key in stored.all()}
    return [
        OutboundMessage(id=ids[row["idempotency_key"]], **row)
        for row in rows
        if row["idempotency_key"] in ids
    ]


def _insert(session: AsyncSession) -> Any:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING for the session's dialect."""
    insert = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    return insert(OutboundMessage).on_conflict_do_nothing(index_elements=["idempotency_key"])


def _row(draft: Draft, now: datetime, announcement_id: int | None) -> dict[str, Any]:
    return {
        "channel": draft.channel,
        "recipients": list(draft.recipients),
        "chat_key": chat_key(draft),
        "payload": draft.payload,
        "idempotency_key": draft.idempotency_key,
        "identity_id": draft.identity_id,
        "announcement_id": announcement_id,
        "retry_key": draft.retry_key,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "platform_ids": [],
    }


async def unsettled_chats(
    *, session: AsyncSession, channel: Channel, chat_keys: Collection[str]
) -> set[str]:
    """Which of `chat_keys` still have a message waiting or being sent: a new one queues behind."""
    if not chat_keys:
        return set()
    table = OutboundMessage.__table__.c
    connection = await session.connection()
    rows = await connection.execute(
        select(table.chat_key)
        .where(
            table.channel == channel,
            table.chat_key.in_(sorted(chat_keys)),
            table.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .distinct()
    )
    return set(rows.scalars())


async def enqueue(
    *,
    session: AsyncSession,
    channel: Channel,
    recipients: Sequence[str],
    payload: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    identity_id: int | None = None,
    retry_key: str | None = None,
) -> bool:
    """Store one message unless its idempotency key exists already; True when stored now."""
    draft = Draft(channel, recipients, payload, idempotency_key, identity_id, retry_key)
    return await enqueue_many(session=session, drafts=[draft], now=now) == 1


async def claim_due(
    *,
    session: AsyncSession,
    now: datetime,
    lease_until: datetime,
    limit: int,
    channels: Sequence[Channel] | None = None,
) -> list[OutboundMessage]:
    """Take up to `limit` due messages for this worker until `lease_until`; the caller commits.

    Messages to one chat are taken one at a time, oldest first, so they arrive in order.

    A message is due when pending and its next attempt has come, or when a worker's lease on it
    ran out (that worker died mid-send). On PostgreSQL SKIP LOCKED lets workers claim side by
    side; SQLite has one writer, so its UPDATE is the claim.
    """
    due = (
        (OutboundMessage.status == OutboxStatus.PENDING) & (OutboundMessage.next_attempt_at <= now)
    ) | ((OutboundMessage.status == OutboxStatus.SENDING) & (OutboundMessage.claimed_until < now))
    # Only the oldest unsettled message of a chat may go: a later one never overtakes it, even
    # when another worker holds the earlier one or it waits for a retry.
    earlier = aliased(OutboundMessage)
    overtaking = (
        select(earlier.id)
        .where(
            earlier.channel == OutboundMessage.channel,
            earlier.chat_key == OutboundMessage.chat_key,
            earlier.id < OutboundMessage.id,
            earlier.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .exists()
    )
    candidates = (
        select(OutboundMessage.id)
        .where(due, ~overtaking)
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
        .limit(limit)
    )
    if channels is not None:
        candidates = candidates.where(OutboundMessage.channel.in_(list(channels)))
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(candidates.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboundMessage.attempts + 1,
            claimed_until=lease_until,
        )
        .returning(OutboundMessage)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(await session.scalars(statement), key=lambda m: (m.next_attempt_at, m.id))


async def renew_claims(
    *,
    session: AsyncSession,
    message_ids: Sequence[int],
    held_until: datetime,
    until: datetime,
) -> set[int]:
    """Extend a worker's lease on the messages it still holds; the ids it still holds.

    The lease's end is the worker's token: a message whose lease ran out and was claimed by
    another worker carries that worker's end, and is left alone.
    """
    result = await session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id.in_(list(message_ids)),
            OutboundMessage.status == OutboxStatus.SENDING,
            OutboundMessage.claimed_until == held_until,
        )
        .values(claimed_until=until)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars())


async def settle(
    *,
    session: AsyncSession,
    message_id: int,
    status: OutboxStatus,
    now: datetime,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
    platform_ids: Sequence[str] = (),
    payload: dict[str, Any] | None = None,
) -> None:
    """Record the outcome of an attempt: sent, back to pending at `next_attempt_at`, or failed.

    `payload` replaces the stored one when the attempt left something the next must know.
    """
    settled = Settlement(message_id, status, error, next_attempt_at, platform_ids, payload)
    await settle_many(session=session, settlements=[settled], now=now)


@dataclass(frozen=True, slots=True)
class Settlement:
    """The outcome of one attempt on one message."""

    message_id: int
    status: OutboxStatus
    error: str | None = None
    next_attempt_at: datetime | None = None
    platform_ids: Sequence[str] = ()
    payload: dict[str, Any] | None = None  # replaces the stored one (the next try must know)
    attempts: int | None = None  # corrects the count (a claimed message that was not tried)


async def settle_many(
    *, session: AsyncSession, settlements: Sequence[Settlement], now: datetime
) -> None:
    """Record many attempts' outcomes in a few statements, one per shape of change.

    An UPDATE by primary key with many parameter sets (the ORM's bulk update), so a batch of
    answers costs one round trip rather than one transaction each.
    """
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for settled in settlements:
        values = _settled_values(settled, now)
        shapes.setdefault(tuple(sorted(values)), []).append(values)
    for rows in shapes.values():
        await session.execute(update(OutboundMessage), rows)


def _settled_values(settled: Settlement, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": settled.message_id,
        "status": settled.status,
        "claimed_until": None,
        "last_error": settled.error[:_ERROR_LIMIT] if settled.error else None,
    }
    if settled.payload is not None:
        values["payload"] = settled.payload
    if settled.status is OutboxStatus.SENT:
        values["sent_at"] = now
        values["platform_ids"] = list(settled.platform_ids)
    if settled.next_attempt_at is not None:
        values["next_attempt_at"] = settled.next_attempt_at
    if settled.attempts is not None:
        values["attempts"] = settled.attempts
    return values


async def readdress(
    *, session: AsyncSession, channel: Channel, old_chat: str, new_chat: str
) -> int:
    """Send what still waits for `old_chat` to `new_chat` instead (the chat changed its id).

    Only single-recipient rows key on the chat itself; batches keep their own key. A message
    being sent right now is left to the adapter, which follows the move when the platform
    reports it.
    """
    result = await session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.channel == channel,
            OutboundMessage.chat_key == old_chat,
            OutboundMessage.status == OutboxStatus.PENDING,
        )
        .values(recipients=[new_chat], chat_key=new_chat)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


async def count_by_status(
    *, session: AsyncSession, announcement_id: int | None = None
) -> dict[OutboxStatus, int]:
    """How many messages are in each state (of one announcement, if given)."""
    query = select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
    if announcement_id is not None:
        query = query.where(OutboundMessage.announcement_id == announcement_id)
    return {status: int(count) for status, count in (await session.execute(query)).all()}


async def next_due_at(*, session: AsyncSession, channel: Channel | None = None) -> datetime | None:
    """When the earliest pending message becomes due, so an idle worker knows how long to wait."""
    earliest = select(func.min(OutboundMessage.next_attempt_at)).where(
        OutboundMessage.status == OutboxStatus.PENDING
    )
    if channel is not None:
        earliest = earliest.where(OutboundMessage.channel == channel)
    return await session.scalar(earliest)


async def stored_keys(*, session: AsyncSession, keys: Collection[str]) -> set[str]:
    """Which of `keys` the outbox holds (queued before, whatever became of the message)."""
    if not keys:
        return set()
    rows = await session.scalars(
        select(OutboundMessage.idempotency_key).where(
            OutboundMessage.idempotency_key.in_(list(keys))
        )
    )
    return set(rows)
