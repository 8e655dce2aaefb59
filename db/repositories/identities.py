"""Chat accounts and chats: found or created on first contact, safely under concurrency."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, ChatKind, Language
from db.models import Chat, Identity, Member
from db.repositories.dialect import conflict_insert

M = TypeVar("M", Chat, Identity)

# How exactly "last seen" is kept: rewriting the row on every message of a conversation would
# double the writes of the busiest path for a precision nobody reads.
SEEN_PRECISION = timedelta(minutes=1)


def seen(last_seen_at: datetime | None, now: datetime) -> bool:
    """Whether a "last seen" time should move to `now`: unset, or older than the precision."""
    return last_seen_at is None or now - last_seen_at >= SEEN_PRECISION


def _insert_ignoring_conflict(session: AsyncSession, model: type[Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for the session's dialect."""
    return conflict_insert(session, model).on_conflict_do_nothing()


async def _found_or_created(
    session: AsyncSession, found: Select[M], model: type[M], **values: Any
) -> tuple[M, bool]:
    """The row `found` selects, inserted from `values` if missing; True when just inserted.

    Looked up first (the usual case: one read). Two events from a new account or chat can race;
    the conflict-ignoring insert makes both see one row.
    """
    row = await session.scalar(found)
    if row is not None:
        return row, False
    result = await session.execute(_insert_ignoring_conflict(session, model).values(**values))
    row = await session.scalar(found)
    assert row is not None  # inserted above or by the event it raced
    return row, bool(getattr(result, "rowcount", 0))


async def get_identity(
    *, session: AsyncSession, channel: Channel, external_id: str
) -> Identity | None:
    """The identity of a chat account, or None if it never wrote to us."""
    return await session.scalar(
        select(Identity).where(Identity.channel == channel, Identity.external_id == external_id)
    )


async def ensure_identity(
    *,
    session: AsyncSession,
    channel: Channel,
    external_id: str,
    language: Language | None,
    now: datetime,
) -> tuple[Identity, bool]:
    """The identity for this account, created if new; True when it was just created."""
    found = select(Identity).where(
        Identity.channel == channel, Identity.external_id == external_id
    )
    identity, created = await _found_or_created(
        session,
        found,
        Identity,
        channel=channel,
        external_id=external_id,
        language=language,
        blocked=False,
        created_at=now,
        updated_at=now,
        last_seen_at=now,
    )
    if not created and seen(identity.last_seen_at, now):
        identity.last_seen_at = now
    return identity, created


async def ensure_identities(
    *,
    session: AsyncSession,
    channel: Channel,
    accounts: Mapping[str, Language | None],
    now: datetime,
) -> dict[str, Identity]:
    """`ensure_identity` for many accounts of one channel (id → language hint) at once, for a
    batch of events."""
    found = await _found_or_created_many(
        session,
        Identity,
        channel,
        {
            external_id: {
                "language": language,
                "blocked": False,
                "created_at": now,
                "updated_at": now,
                "last_seen_at": now,
            }
            for external_id, language in accounts.items()
        },
    )
    for identity in found.values():
        if seen(identity.last_seen_at, now):
            identity.last_seen_at = now
    return found


async def ensure_chats(
    *,
    session: AsyncSession,
    channel: Channel,
    chats: Mapping[str, tuple[ChatKind, str | None]],
    now: datetime,
) -> dict[str, Chat]:
    """`ensure_chat` for many chats of one channel (id → kind and title) at once."""
    found = await _found_or_created_many(
        session,
        Chat,
        channel,
        {
            external_id: {
                "kind": kind,
                "title": title,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for external_id, (kind, title) in chats.items()
        },
    )
    for external_id, chat in found.items():
        title = chats[external_id][1]
        if title and chat.title != title:
            chat.title = title
    return found


async def _found_or_created_many(
    session: AsyncSession, model: type[M], channel: Channel, new_rows: Mapping[str, dict[str, Any]]
) -> dict[str, M]:
    """The rows of `model` for these external ids, each missing one inserted from `new_rows`.

    One read finds the known ones, one insert adds the rest (conflicts ignored: a racing
    event may add them too) and one read fetches those.
    """
    if not new_rows:
        return {}
    found = await _rows_by_external_id(session, model, channel, new_rows)
    missing = [external_id for external_id in new_rows if external_id not in found]
    if missing:
        await session.execute(
            _insert_ignoring_conflict(session, model),
            [
                {"channel": channel, "external_id": external_id, **new_rows[external_id]}
                for external_id in missing
            ],
        )
        found |= await _rows_by_external_id(session, model, channel, missing)
    return found


async def _rows_by_external_id(
    session: AsyncSession, model: type[M], channel: Channel, external_ids: Iterable[str]
) -> dict[str, M]:
    rows = await session.scalars(
        select(model).where(model.channel == channel, model.external_id.in_(list(external_ids)))
    )
    return {row.external_id: row for row in rows}


async def load_members(*, session: AsyncSession, member_ids: Iterable[int]) -> dict[int, Member]:
    """These members by id, read at once (for a batch of events)."""
    wanted = sorted(set(member_ids))
    if not wanted:
        return {}
    return {m.id: m for m in await session.scalars(select(Member).where(Member.id.in_(wanted)))}


async def list_member_identities(*, session: AsyncSession, member_id: int) -> list[Identity]:
    """Every chat account linked to a member, oldest first."""
    return list(
        await session.scalars(
            select(Identity).where(Identity.member_id == member_id).order_by(Identity.id)
        )
    )


async def ensure_chat(
    *,
    session: AsyncSession,
    channel: Channel,
    external_id: str,
    kind: ChatKind,
    title: str | None,
    now: datetime,
) -> Chat:
    """The chat row for a conversation, created on first sight; a new title is kept."""
    found = select(Chat).where(Chat.channel == channel, Chat.external_id == external_id)
    chat, _ = await _found_or_created(
        session,
        found,
        Chat,
        channel=channel,
        external_id=external_id,
        kind=kind,
        title=title,
        active=True,
        created_at=now,
        updated_at=now,
    )
    if title and chat.title != title:
        chat.title = title
    return chat


async def move_chat(
    *,
    session: AsyncSession,
    channel: Channel,
    old_external_id: str,
    new_external_id: str,
    title: str | None,
    now: datetime,
) -> Chat | None:
    """The chat carried over to its new id, keeping its city; None when the old id is unknown.

    Both of Telegram's notices of an upgrade come here, and an event under the new id may have
    created its row first: then the two rows become one, the new one keeping its own binding
    if it already has one.
    """
    old = await session.scalar(
        select(Chat).where(Chat.channel == channel, Chat.external_id == old_external_id)
    )
    if old is None:
        return None
    new = await session.scalar(
        select(Chat).where(Chat.channel == channel, Chat.external_id == new_external_id)
    )
    if new is None:
        old.external_id = new_external_id
        new = old
    else:
        new.organisation_id = new.organisation_id or old.organisation_id
        await session.delete(old)
    if title:
        new.title = title
    new.updated_at = now
    return new


async def account_language(
    *, session: AsyncSession, channel: Channel, external_id: str
) -> Language | None:
    """The language a chat account is answered in: its member's, else its own; None if unknown."""
    row = (
        await session.execute(
            select(Member.language, Identity.language)
            .select_from(Identity)
            .outerjoin(Member, Member.id == Identity.member_id)
            .where(Identity.channel == channel, Identity.external_id == external_id)
        )
    ).first()
    if row is None:
        return None
    member_language: Language | None = row[0]
    own_language: Language | None = row[1]
    return member_language or own_language
