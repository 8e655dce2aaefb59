"""Questions to depa: the FAQ searched first, then tickets and their threads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import TicketStatus
from db.models import FaqEntry, Member, Organisation, Ticket, TicketMessage


async def faq_version(*, session: AsyncSession) -> str:
    """How many FAQ entries there are and when one last changed: a cache key for the index."""
    row = (await session.execute(select(func.count(), func.max(FaqEntry.updated_at)))).one()
    return f"{row[0]}@{row[1]}"


async def list_faq(*, session: AsyncSession) -> list[FaqEntry]:
    """Every FAQ entry, in the order content/faq.yaml lists them."""
    return list(await session.scalars(select(FaqEntry).order_by(FaqEntry.position, FaqEntry.id)))


async def faq_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[FaqEntry]:
    """The FAQ entries with these ids, in the order given (missing ones left out)."""
    if not ids:
        return []
    found = {e.id: e for e in await session.scalars(select(FaqEntry).where(FaqEntry.id.in_(ids)))}
    return [found[key] for key in ids if key in found]


async def get_ticket(
    *, session: AsyncSession, ticket_id: int, lock: bool = False
) -> Ticket | None:
    """One ticket; with `lock`, held until the transaction ends (two replies at once queue up)."""
    query = select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def add_message(*, session: AsyncSession, message: TicketMessage) -> TicketMessage:
    """Store one message of a thread."""
    session.add(message)
    await session.flush()
    return message


async def tickets_of_member(*, session: AsyncSession, member_id: int) -> list[Ticket]:
    """A member's tickets, newest first."""
    return list(
        await session.scalars(
            select(Ticket)
            .where(Ticket.member_id == member_id)
            .order_by(Ticket.asked_at.desc(), Ticket.id.desc())
        )
    )


async def tickets_with_askers(
    *,
    session: AsyncSession,
    status: TicketStatus | None = None,
    organisation_id: int | None = None,
) -> list[tuple[Ticket, Organisation, Member | None]]:
    """Tickets (of one status, or all; of one organisation, or all) with the asker and their
    organisation, oldest first.

    One statement however many tickets there are.
    """
    query = (
        select(Ticket, Organisation, Member)
        .join(Organisation, Ticket.organisation_id == Organisation.id)
        .outerjoin(Member, Ticket.member_id == Member.id)
        .order_by(Ticket.asked_at, Ticket.id)
    )
    if status is not None:
        query = query.where(Ticket.status == status)
    if organisation_id is not None:
        query = query.where(Ticket.organisation_id == organisation_id)
    return [(row[0], row[1], row[2]) for row in await session.execute(query)]


async def ticket_threads(
    *, session: AsyncSession, ticket_ids: Collection[int]
) -> dict[int, list[tuple[TicketMessage, Member | None]]]:
    """The messages of these tickets, each with its author, oldest first; one statement."""
    threads: dict[int, list[tuple[TicketMessage, Member | None]]] = {i: [] for i in ticket_ids}
    if not threads:
        return threads
    rows = await session.execute(
        select(TicketMessage, Member)
        .outerjoin(Member, TicketMessage.member_id == Member.id)
        .where(TicketMessage.ticket_id.in_(list(threads)))
        .order_by(TicketMessage.created_at, TicketMessage.id)
    )
    for message, author in rows:
        threads[message.ticket_id].append((message, author))
    return threads


async def unanswered_since(*, session: AsyncSession, asked_before: datetime) -> list[Ticket]:
    """Open tickets asked before then that depa never answered and nobody was reminded of."""
    return list(
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.status == TicketStatus.OPEN,
                Ticket.first_reply_at.is_(None),
                Ticket.reminded_at.is_(None),
                Ticket.asked_at <= asked_before,
            )
            .order_by(Ticket.asked_at, Ticket.id)
        )
    )


async def forget_asker(*, session: AsyncSession, member_id: int, now: datetime) -> None:
    """An erased member's tickets: the open ones closed, every word they wrote blanked."""
    await session.execute(
        update(Ticket)
        .where(Ticket.member_id == member_id, Ticket.status != TicketStatus.CLOSED)
        .values(status=TicketStatus.CLOSED, closed_at=now, closed_by_member_id=member_id)
    )
    await session.execute(update(Ticket).where(Ticket.member_id == member_id).values(question=""))
    await session.execute(
        update(TicketMessage).where(TicketMessage.member_id == member_id).values(text="")
    )
