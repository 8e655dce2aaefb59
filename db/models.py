"""The whole domain of DESIGN §3 as typed SQLAlchemy models.

Uniques and indexes follow the access paths: identities by (channel, external id), the inbox by
(channel, event key), the outbox by (status, next attempt), content rows by their stable slugs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, TimestampMixin, utcnow
from db.enums import (
    AnnouncementStatus,
    Channel,
    ChatKind,
    InboxStatus,
    InterestStatus,
    Language,
    MaterialKind,
    MemberStatus,
    MilestoneStatus,
    OfferStatus,
    OrganisationKind,
    OutboxStatus,
    PlanKind,
    ReminderStatus,
    Role,
)

# SQLite only auto-increments INTEGER PRIMARY KEY; high-volume tables get BIGINT on PostgreSQL.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Domain(TimestampMixin, Base):
    """One of the 7 smart-city domains of Thailand's framework."""

    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)


class OrganisationDomain(Base):
    """A domain an organisation works in (a city's focus, a firm's offering)."""

    __tablename__ = "organisation_domains"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True
    )


class Organisation(TimestampMixin, Base):
    """A city, a partner firm, or depa."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[OrganisationKind]
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    province_th: Mapped[str | None] = mapped_column(String(200))
    province_en: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(40))

    domains: Mapped[list[Domain]] = relationship(secondary="organisation_domains", lazy="raise")


class Member(TimestampMixin, Base):
    """A person with one role in one organisation."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[Role]
    display_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[Language] = mapped_column(default=Language.TH)
    status: Mapped[MemberStatus] = mapped_column(default=MemberStatus.ACTIVE)
    erased_at: Mapped[datetime | None]
    last_channel: Mapped[Channel | None]
    last_seen_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="raise")

    __table_args__ = (Index(None, "organisation_id", "role"),)


class Identity(TimestampMixin, Base):
    """One chat account (channel + external user id); it exists before registration."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel]
    external_id: Mapped[str] = mapped_column(String(128))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[Language | None]
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime | None]

    member: Mapped[Member | None] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("channel", "external_id"),)


class Chat(TimestampMixin, Base):
    """A 1:1 chat or a group; a group may be a city team's chat."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel]
    external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[ChatKind]
    title: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("channel", "external_id"),)


class Invite(TimestampMixin, Base):
    """A code that lets one or more people join an organisation in a role."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[Role]
    max_uses: Mapped[int] = mapped_column(default=1)
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(String(200))

    organisation: Mapped[Organisation] = relationship(lazy="raise")


class Consent(Base):
    """A member's PDPA consent decision, kept as evidence."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    policy_version: Mapped[str] = mapped_column(String(20))
    accepted: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[Channel]
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]


class LinkCode(Base):
    """A one-time code that links a second chat account to the same member."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Workshop(TimestampMixin, Base):
    """A workshop of the programme, such as the Smart City Framework Development Workshop."""

    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date] = mapped_column(Date)
    venue_th: Mapped[str | None] = mapped_column(String(300))
    venue_en: Mapped[str | None] = mapped_column(String(300))
    partners: Mapped[list[str]] = mapped_column(default=list)


class WorkshopSession(TimestampMixin, Base):
    """One session of a workshop; materials belong to sessions."""

    __tablename__ = "workshop_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("workshop_id", "slug"),)


class Material(TimestampMixin, Base):
    """Workshop content: slides, toolkits, recordings, links; sent as cards with links."""

    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True
    )
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domains.id"), index=True)
    kind: Mapped[MaterialKind]
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    summary_th: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(1000))
    tags: Mapped[list[str]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)


class FaqEntry(TimestampMixin, Base):
    """A frequently asked question with its answer in both languages."""

    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    question_th: Mapped[str] = mapped_column(Text)
    question_en: Mapped[str] = mapped_column(Text)
    answer_th: Mapped[str] = mapped_column(Text)
    answer_en: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)


class Plan(TimestampMixin, Base):
    """One of a city's three plan documents."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    kind: Mapped[PlanKind]
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))

    __table_args__ = (UniqueConstraint("organisation_id", "kind"),)


class Milestone(TimestampMixin, Base):
    """A step of a city's plan, from the programme's milestone template."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domains.id"), index=True)
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime | None]
    status: Mapped[MilestoneStatus] = mapped_column(default=MilestoneStatus.NOT_STARTED)
    percent: Mapped[int] = mapped_column(default=0)
    last_update_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("plan_id", "key"), Index(None, "status", "due_at"))


class ProgressUpdate(Base):
    """A report on a milestone: status, percent, note, evidence, and who/when/which channel."""

    __tablename__ = "progress_updates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[MilestoneStatus]
    percent: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(1000))
    channel: Mapped[Channel | None]
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)


class Competition(TimestampMixin, Base):
    """depa's competition for city development plans."""

    __tablename__ = "competitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    rules_url: Mapped[str | None] = mapped_column(String(1000))


class CompetitionEntry(TimestampMixin, Base):
    """A city entered in a competition (the 'entrants' audience)."""

    __tablename__ = "competition_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    submitted_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("competition_id", "organisation_id"),)


class Deadline(TimestampMixin, Base):
    """A competition stage with its due time."""

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime] = mapped_column(index=True)
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("competition_id", "slug"),)


class Reminder(TimestampMixin, Base):
    """A reminder of a deadline at an offset before it; the scheduler picks up what is due."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    offset_minutes: Mapped[int]
    remind_at: Mapped[datetime]
    status: Mapped[ReminderStatus] = mapped_column(default=ReminderStatus.PENDING)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("deadline_id", "offset_minutes"),
        Index(None, "status", "remind_at"),
    )


class PartnershipOffer(TimestampMixin, Base):
    """A firm's offer to cities, in one domain."""

    __tablename__ = "partnership_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"), index=True)
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[OfferStatus] = mapped_column(default=OfferStatus.OPEN)


class PartnershipInterest(TimestampMixin, Base):
    """A city's interest in an offer; depa introduces the two."""

    __tablename__ = "partnership_interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("partnership_offers.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InterestStatus] = mapped_column(default=InterestStatus.EXPRESSED)

    __table_args__ = (UniqueConstraint("offer_id", "organisation_id"),)


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
    attempts: Mapped[int] = mapped_column(default=0)
    occurred_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("channel", "event_key"),
        Index(None, "status", "id"),
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
