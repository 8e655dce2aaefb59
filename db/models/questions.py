"""Questions to depa: a member's ticket and its thread of messages with depa's coordinators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin
from db.enums import Channel, TicketStatus


class Ticket(TimestampMixin, Base):
    """A question a member asked a person at depa, open until one side closes it.

    `open` waits for depa (new, or the asker wrote back); `answered` waits for the asker.
    `reminded_at` is set when the coordinators were reminded of a ticket nobody answered within
    two working days, so that happens once.
    """

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[TicketStatus] = mapped_column(default=TicketStatus.OPEN)
    channel: Mapped[Channel | None]
    asked_at: Mapped[datetime]
    first_reply_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )

    __table_args__ = (Index(None, "status", "asked_at"),)


class TicketMessage(Base):
    """One message of a ticket's thread: the asker's or a coordinator's."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    from_depa: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[Channel | None]
    created_at: Mapped[datetime]
