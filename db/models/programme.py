"""What the programme is made of: workshops and materials, FAQ, plans and progress,
competitions and their deadlines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin, utcnow
from db.enums import (
    Channel,
    MaterialKind,
    MilestoneStatus,
    PlanKind,
    ReminderStatus,
    SubmissionKind,
)
from db.models.ids import BigId


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
    # Who made the latest report (None: an operator, or a member since erased): the overview
    # names them without reading every report.
    last_update_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )

    __table_args__ = (UniqueConstraint("plan_id", "key"), Index(None, "status", "due_at"))


class ProgressUpdate(Base):
    """A report on a milestone: status, percent, note, evidence, and who/when/which channel.

    It keeps what the milestone was before (`previous_*`), so a history reads "old → new"
    without replaying earlier reports. Evidence is a link (`evidence_url`) or a file people
    sent, stored under the media directory (`evidence_path`, relative to it).
    """

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
    evidence_path: Mapped[str | None] = mapped_column(String(500))
    evidence_type: Mapped[str | None] = mapped_column(String(100))
    evidence_bytes: Mapped[int | None]
    channel: Mapped[Channel | None]
    identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("identities.id", ondelete="SET NULL")
    )
    previous_status: Mapped[MilestoneStatus | None]
    previous_percent: Mapped[int | None]
    reported_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CheckinRound(TimestampMixin, Base):
    """One city's check-in of one round: what it was asked about, and how far it escalated.

    A round asks a city about its milestones overdue or due soon; each escalation step is
    stamped here when queued, so a step happens at most once a round however often the
    scheduler runs, and `answered_at` (an update to a listed milestone) stops the rest.
    """

    __tablename__ = "checkin_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    round_at: Mapped[datetime]  # when the round was due (its schedule time, UTC)
    milestone_ids: Mapped[list[int]] = mapped_column(default=list)
    asked_at: Mapped[datetime | None]  # the first message queued
    answered_at: Mapped[datetime | None]
    officers_reminded_at: Mapped[datetime | None]
    executive_reminded_at: Mapped[datetime | None]
    silent_at: Mapped[datetime | None]  # reported to depa as not responding

    __table_args__ = (UniqueConstraint("organisation_id", "round_at"),)


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
    # Whether cities hand something in for this stage (pitching and results: no); a stage without
    # submissions reminds everyone, one with them only the cities that still owe.
    accepts_submissions: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    __table_args__ = (UniqueConstraint("competition_id", "slug"),)


class Submission(TimestampMixin, Base):
    """What a city handed in for a stage: a file kept under the media directory, or a link.

    A newer submission to the same stage replaces the one before (`replaced_at` set on the old
    one, which stays as history); after the due time a submission is recorded as `late`.
    `reference` is the receipt people quote (e.g. `SCP27-KKN-CN-01`).
    """

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    prepared_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("identities.id", ondelete="SET NULL")
    )
    channel: Mapped[Channel | None]
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[SubmissionKind]
    url: Mapped[str | None] = mapped_column(String(1000))
    file_path: Mapped[str | None] = mapped_column(String(500))
    file_type: Mapped[str | None] = mapped_column(String(100))
    file_bytes: Mapped[int | None]
    file_name: Mapped[str | None] = mapped_column(String(255))
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    replaced_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "deadline_id", "organisation_id"),)


class CalendarToken(TimestampMixin, Base):
    """A member's private calendar feed address (`/calendar/{token}.ics`); reset revokes it."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]


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
