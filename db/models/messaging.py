"""The plumbing of messages: announcements, the inbox and outbox, conversation state, the audit
log and the leases and cursors that keep one worker on a job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin, utcnow
from db.enums import (
    AnnouncementStatus,
    Channel,
    InboxStatus,
    OutboxStatus,
)
from db.models.ids import BigId


class Announcement(TimestampMixin, Base):
    """A message to an audience, with author, approval and schedule."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(120))
    status: Mapped[AnnouncementStatus] = mapped_column(default=AnnouncementStatus.DRAFT)
    approved_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "status", "scheduled_at"),)


class InboundEvent(Base):
    """The inbox: a platform event stored durably before the webhook is acknowledged."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[Channel]
    event_key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]]
    status: Mapped[InboxStatus] = mapped_column(default=InboxStatus.PENDING)
    # Times a worker took it, and how many of those ended in a failure that counts against
    # its allowance (a handler bug, an unreadable payload, a worker dying while holding it).
    attempts: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    occurred_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]  # a retried event waits until then
    processed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The chat it came from, where the channel reorders its backlog (LINE answers fresh events
    # first while their reply tokens live): an earlier event of the same chat is then taken
    # with it, so a chat's events are still handled in order.
    chat_key: Mapped[str | None] = mapped_column(String(160))

    __table_args__ = (
        UniqueConstraint("channel", "event_key"),
        Index(None, "status", "id"),
        Index(None, "channel", "chat_key", "status"),
    )


class OutboundMessage(Base):
    """The outbox: every proactive message is a row before anything is sent."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[Channel]
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    # One chat id, or for a LINE multicast batch the list of user ids.
    recipients: Mapped[list[str]]
    # What must stay in order: the chat for single sends; each batch is its own key.
    chat_key: Mapped[str] = mapped_column(String(160))
    identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("identities.id", ondelete="SET NULL"), index=True
    )
    announcement_id: Mapped[int | None] = mapped_column(
        ForeignKey("announcements.id", ondelete="SET NULL"), index=True
    )
    payload: Mapped[dict[str, Any]]
    status: Mapped[OutboxStatus] = mapped_column(default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    retry_key: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    platform_ids: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index("ix_outbound_messages_chat_order", "channel", "chat_key", "id"),
    )


class ConversationState(Base):
    """Where an identity stands in a multi-step flow; persisted so it survives restarts."""

    __tablename__ = "conversation_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("identities.id", ondelete="CASCADE"), unique=True
    )
    flow: Mapped[str] = mapped_column(String(60))
    step: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditLog(Base):
    """Who did what that matters: invites, approvals, erasures, broadcasts."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "action", "created_at"),)


class SchedulerLease(Base):
    """The leader row: exactly one scheduler runs, whoever holds an unexpired lease."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]


class ChannelCursor(Base):
    """A channel's persisted position, such as Telegram's polling offset."""

    __tablename__ = "channel_cursors"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
