"""Who takes part: organisations and their domains, members, chat accounts, invites, consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, TimestampMixin, utcnow
from db.enums import (
    Channel,
    ChatKind,
    Language,
    MemberStatus,
    OrganisationKind,
    Role,
)


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
