"""What the question tests share: tickets and their threads as stored, notices as queued."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.replies import Choices, Text, reply_from_data
from db.models import OutboundMessage, Ticket, TicketMessage
from tests.chatdriver import ChatDriver
from tests.conftest import Database


async def tickets(db: Database) -> list[Ticket]:
    """Every ticket, oldest first."""
    async with db.sessions() as session:
        return list(await session.scalars(select(Ticket).order_by(Ticket.id)))


async def thread(db: Database, ticket_id: int) -> list[TicketMessage]:
    """A ticket's messages, oldest first."""
    async with db.sessions() as session:
        return list(
            await session.scalars(
                select(TicketMessage)
                .where(TicketMessage.ticket_id == ticket_id)
                .order_by(TicketMessage.id)
            )
        )


async def ticket_count(db: Database) -> int:
    """How many tickets are stored."""
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Ticket)) or 0)


def option_payload(driver: ChatDriver, label: str) -> str:
    """The payload of the last replies' option `label`."""
    found = [o.payload for o in driver.options() if o.label == label]
    assert found, f"no option {label!r} in {[o.label for o in driver.options()]}"
    return found[-1]


def said(row: OutboundMessage) -> str:
    """The text of a queued message, buttons' texts included."""
    replies = [reply_from_data(data) for data in row.payload["replies"]]
    return "\n".join(r.text for r in replies if isinstance(r, Text | Choices))


def buttons(row: OutboundMessage) -> list[str]:
    """The button payloads of a queued message."""
    replies = [reply_from_data(data) for data in row.payload["replies"]]
    return [o.payload for r in replies if isinstance(r, Choices) for o in r.options]
