"""Questions to depa: the FAQ first, then a ticket a coordinator answers, threaded, until closed.

Plain functions over a session: chat, the CLI and the dashboard call them. Each validates before
it writes (nothing half-saved), audits, and queues the other side's notice on the channel they
used last. `remind_unanswered` is what the scheduler and `citybot tickets remind` run.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.search import CachedIndex, Field
from bot.core.workdays import after_working_days
from bot.delivery import notices
from bot.delivery.notices import Compose
from db.enums import Channel, Role, TicketStatus
from db.models import FaqEntry, Member, Organisation, Ticket, TicketMessage
from db.repositories import audit
from db.repositories.questions import (
    add_message,
    faq_by_ids,
    faq_version,
    get_ticket,
    list_faq,
    ticket_threads,
    tickets_of_member,
    tickets_with_askers,
    unanswered_since,
)
from handlers.progress.service import depa_coordinators

QUESTION_MAX = 2000  # characters of a question or a message of its thread
FAQ_OFFERED = 3
# Below this a hit matched only common or partial words ("next week"): not worth offering.
FAQ_MIN_SCORE = 8.0
# The best hit's share a further hit needs to be offered beside it.
FAQ_NEAR_BEST = 0.5
ANSWER_WITHIN_WORKING_DAYS = 2
DEPA_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})


class QuestionError(Exception):
    """A question or reply refused; `reason` names the text that says why."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


# --- the FAQ -------------------------------------------------------------------------------------

_faq_index: CachedIndex[int] = CachedIndex()


def faq_fields(entry: FaqEntry) -> list[Field]:
    """What a search looks at: questions and tags most, answers a little."""
    return [
        Field(entry.question_th, 3.0),
        Field(entry.question_en, 3.0),
        Field(" ".join(entry.tags), 2.0),
        Field(entry.answer_th, 0.5),
        Field(entry.answer_en, 0.5),
    ]


async def faq_answers(*, session: AsyncSession, query: str) -> list[FaqEntry]:
    """Up to three FAQ entries that answer `query` (Thai or English), best first; none if weak."""

    async def documents() -> list[tuple[int, list[Field]]]:
        return [(entry.id, faq_fields(entry)) for entry in await list_faq(session=session)]

    index = await _faq_index.get(await faq_version(session=session), documents)
    hits = index.search(query, limit=FAQ_OFFERED)
    if not hits or hits[0].score < FAQ_MIN_SCORE:
        return []
    best = hits[0].score
    kept = [hit.key for hit in hits if hit.score >= max(FAQ_MIN_SCORE, best * FAQ_NEAR_BEST)]
    return await faq_by_ids(session=session, ids=kept)


def check_text(text: str) -> str:
    """The question or message trimmed; empty or longer than `QUESTION_MAX` is refused."""
    trimmed = text.strip()
    if not trimmed:
        raise QuestionError("empty")
    if len(trimmed) > QUESTION_MAX:
        raise QuestionError("too_long", limit=QUESTION_MAX, length=len(trimmed))
    return trimmed


# --- tickets -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketNote:
    """What a notice of a ticket tells: the ticket, who asked, and the latest word and author."""

    ticket: Ticket
    organisation: Organisation
    asker: Member | None
    author: Member | None = None
    text: str = ""


class TicketNotices(Protocol):
    """How ticket notices are written (the chat views do it), per recipient language."""

    def asked(self, note: TicketNote) -> Compose:
        """The new question, to depa's coordinators, with a Reply button."""

    def replied(self, note: TicketNote) -> Compose:
        """A coordinator's answer, to the asker, with Answer back and Close."""

    def answered_back(self, note: TicketNote) -> Compose:
        """The asker's answer back, to the coordinators, with a Reply button."""

    def closed(self, note: TicketNote) -> Compose:
        """The other side closed the ticket."""

    def reminder(self, note: TicketNote) -> Compose:
        """Nobody answered within two working days: to the coordinators, once."""


@dataclass(frozen=True, kw_only=True)
class Outreach(notices.Outreach[TicketNotices]):
    """Where ticket notices go, written by the TicketNotices; and the days that are not
    working days, for the reminder."""

    zone: ZoneInfo
    holidays: frozenset[date] = frozenset()


def is_depa(member: Member) -> bool:
    """Whether `member` answers questions rather than asks them."""
    return member.role in DEPA_ROLES


async def _note(
    session: AsyncSession, ticket: Ticket, author: Member | None = None, text: str = ""
) -> TicketNote:
    organisation = await session.get_one(Organisation, ticket.organisation_id)
    asker = await session.get(Member, ticket.member_id) if ticket.member_id else None
    return TicketNote(ticket, organisation, asker, author, text)


async def ask(
    *,
    session: AsyncSession,
    member: Member,
    question: str,
    channel: Channel | None,
    now: datetime,
    outreach: Outreach,
) -> Ticket:
    """Open a ticket for `member`'s question; depa's coordinators are told, with a Reply button."""
    text = check_text(question)
    ticket = Ticket(
        organisation_id=member.organisation_id,
        member_id=member.id,
        question=text,
        status=TicketStatus.OPEN,
        channel=channel,
        asked_at=now,
        last_message_at=now,
    )
    session.add(ticket)
    await session.flush()
    await audit.record(
        session=session,
        action="ticket.asked",
        now=now,
        actor_member_id=member.id,
        target=f"ticket:{ticket.id}",
        details={"channel": channel.value if channel else None, "chars": len(text)},
    )
    note = await _note(session, ticket, member, text)
    coordinators = await depa_coordinators(session=session)
    tag = f"ticket:{ticket.id}:asked"
    await outreach.tell(
        session=session,
        member_ids=coordinators,
        compose=outreach.notices.asked(note),
        now=now,
        tag=tag,
    )
    return ticket


async def _open_ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    """The ticket, locked for the change; unknown or closed ones are refused."""
    ticket = await get_ticket(session=session, ticket_id=ticket_id, lock=True)
    if ticket is None:
        raise QuestionError("unknown_ticket", ticket=ticket_id)
    if ticket.status is TicketStatus.CLOSED:
        raise QuestionError("closed", ticket=ticket_id)
    return ticket


async def _add(
    session: AsyncSession,
    ticket: Ticket,
    author: Member,
    text: str,
    channel: Channel | None,
    now: datetime,
) -> TicketMessage:
    from_depa = is_depa(author)
    message = await add_message(
        session=session,
        message=TicketMessage(
            ticket_id=ticket.id,
            member_id=author.id,
            from_depa=from_depa,
            text=text,
            channel=channel,
            created_at=now,
        ),
    )
    ticket.status = TicketStatus.ANSWERED if from_depa else TicketStatus.OPEN
    ticket.last_message_at = now
    if from_depa and ticket.first_reply_at is None:
        ticket.first_reply_at = now
    await audit.record(
        session=session,
        action="ticket.replied" if from_depa else "ticket.answered_back",
        now=now,
        actor_member_id=author.id,
        target=f"ticket:{ticket.id}",
        details={"message": message.id, "chars": len(text)},
    )
    return message


async def reply(
    *,
    session: AsyncSession,
    coordinator: Member,
    ticket_id: int,
    text: str,
    channel: Channel | None,
    now: datetime,
    outreach: Outreach,
) -> Ticket:
    """depa's answer: stored, the ticket answered; the asker gets it on their last channel."""
    if not is_depa(coordinator):
        raise QuestionError("not_depa")
    body = check_text(text)
    ticket = await _open_ticket(session, ticket_id)
    message = await _add(session, ticket, coordinator, body, channel, now)
    note = await _note(session, ticket, coordinator, body)
    if ticket.member_id is not None:
        asker, tag = [ticket.member_id], f"ticket:{ticket.id}:m{message.id}"
        await outreach.tell(
            session=session,
            member_ids=asker,
            compose=outreach.notices.replied(note),
            now=now,
            tag=tag,
        )
    return ticket


async def answer_back(
    *,
    session: AsyncSession,
    member: Member,
    ticket_id: int,
    text: str,
    channel: Channel | None,
    now: datetime,
    outreach: Outreach,
) -> Ticket:
    """The asker writes again: stored, the ticket waits for depa; the coordinators are told."""
    body = check_text(text)
    ticket = await _open_ticket(session, ticket_id)
    if ticket.member_id != member.id:
        raise QuestionError("not_yours", ticket=ticket_id)
    message = await _add(session, ticket, member, body, channel, now)
    note = await _note(session, ticket, member, body)
    coordinators = await depa_coordinators(session=session)
    tag = f"ticket:{ticket.id}:m{message.id}"
    await outreach.tell(
        session=session,
        member_ids=coordinators,
        compose=outreach.notices.answered_back(note),
        now=now,
        tag=tag,
    )
    return ticket


async def close_ticket(
    *, session: AsyncSession, member: Member, ticket_id: int, now: datetime, outreach: Outreach
) -> Ticket:
    """The asker or depa closes the ticket; the other side is told."""
    ticket = await _open_ticket(session, ticket_id)
    by_depa = is_depa(member)
    if not by_depa and ticket.member_id != member.id:
        raise QuestionError("not_yours", ticket=ticket_id)
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = now
    ticket.closed_by_member_id = member.id
    await audit.record(
        session=session,
        action="ticket.closed",
        now=now,
        actor_member_id=member.id,
        target=f"ticket:{ticket.id}",
        details={"by_depa": by_depa},
    )
    note = await _note(session, ticket, member)
    if by_depa:
        others = [ticket.member_id] if ticket.member_id is not None else []
    else:
        others = await depa_coordinators(session=session)
    tag = f"ticket:{ticket.id}:closed"
    await outreach.tell(
        session=session, member_ids=others, compose=outreach.notices.closed(note), now=now, tag=tag
    )
    return ticket


async def ticket_to_write(*, session: AsyncSession, member: Member, ticket_id: int) -> Ticket:
    """A ticket `member` may write on now (depa: any open one; the asker: their own)."""
    ticket = await get_ticket(session=session, ticket_id=ticket_id)
    if ticket is None:
        raise QuestionError("unknown_ticket", ticket=ticket_id)
    if not is_depa(member) and ticket.member_id != member.id:
        raise QuestionError("not_yours", ticket=ticket_id)
    if ticket.status is TicketStatus.CLOSED:
        raise QuestionError("closed", ticket=ticket_id)
    return ticket


async def tickets_of(*, session: AsyncSession, member: Member) -> list[Ticket]:
    """A member's own tickets, newest first."""
    return await tickets_of_member(session=session, member_id=member.id)


Listed = tuple[Ticket, Organisation, Member | None]


async def list_tickets(
    *, session: AsyncSession, status: TicketStatus | None = None
) -> list[Listed]:
    """Every ticket (or those of one status) with its organisation and asker, oldest first.

    One query however many there are (the dashboard and the CLI list hundreds).
    """
    return await tickets_with_askers(session=session, status=status)


Thread = list[tuple[TicketMessage, Member | None]]


async def threads(*, session: AsyncSession, ticket_ids: Collection[int]) -> dict[int, Thread]:
    """Each ticket's messages with their authors, oldest first (the dashboard shows them)."""
    return await ticket_threads(session=session, ticket_ids=ticket_ids)


# --- the reminder --------------------------------------------------------------------------------


def reminder_due(ticket: Ticket, outreach: Outreach) -> datetime:
    """When a ticket nobody answered is raised again: two working days after it was asked."""
    return after_working_days(
        ticket.asked_at, ANSWER_WITHIN_WORKING_DAYS, outreach.zone, outreach.holidays
    )


async def remind_unanswered(*, session: AsyncSession, now: datetime, outreach: Outreach) -> int:
    """Remind the coordinators, once per ticket, of open tickets unanswered two working days."""
    # Two working days are at least two calendar days: older tickets are the only candidates.
    waiting = await unanswered_since(
        session=session, asked_before=now - timedelta(days=ANSWER_WITHIN_WORKING_DAYS)
    )
    due = [ticket for ticket in waiting if reminder_due(ticket, outreach) <= now]
    if not due:
        return 0
    coordinators = await depa_coordinators(session=session)
    for ticket in due:
        ticket.reminded_at = now
        await audit.record(
            session=session, action="ticket.reminded", now=now, target=f"ticket:{ticket.id}"
        )
        note = await _note(session, ticket, text=ticket.question)
        tag = f"ticket:{ticket.id}:reminder"
        await outreach.tell(
            session=session,
            member_ids=coordinators,
            compose=outreach.notices.reminder(note),
            now=now,
            tag=tag,
        )
    return len(due)
