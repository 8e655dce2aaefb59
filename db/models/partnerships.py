"""Partnerships: firms' offers to cities by domain, cities' interest, and the introductions
depa makes once both sides agree to share their contact details."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin, utcnow
from db.enums import InterestStatus, IntroSide, OfferKind, OfferStatus


class PartnershipOffer(TimestampMixin, Base):
    """A firm's offer to cities in one or more domains, reviewed by depa before it is published.

    `targets_all` offers go to every city working in one of the offer's domains; otherwise the
    firm named cities too (`OfferTarget`), and those hear of it as well.
    """

    __tablename__ = "partnership_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))
    kind: Mapped[OfferKind] = mapped_column(
        default=OfferKind.TECHNOLOGY, server_default=OfferKind.TECHNOLOGY.value
    )
    targets_all: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    status: Mapped[OfferStatus] = mapped_column(default=OfferStatus.PENDING)
    reviewed_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "status", "published_at"),)


class OfferDomain(Base):
    """One of an offer's domains."""

    __tablename__ = "partnership_offer_domains"

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("partnership_offers.id", ondelete="CASCADE"), primary_key=True
    )
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OfferTarget(Base):
    """A city an offer names (when it does not go to all cities of its domains)."""

    __tablename__ = "partnership_offer_targets"

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("partnership_offers.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )


class OfferView(Base):
    """A member saw an offer's card (counted once per member, for the firm's `/myoffers`)."""

    __tablename__ = "partnership_offer_views"

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("partnership_offers.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnershipInterest(TimestampMixin, Base):
    """A city's interest in an offer; depa introduces the two when both consent."""

    __tablename__ = "partnership_interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("partnership_offers.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InterestStatus] = mapped_column(default=InterestStatus.EXPRESSED)
    intro_requested_at: Mapped[datetime | None]
    intro_requested_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    introduced_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("offer_id", "organisation_id"),)


class IntroductionConsent(TimestampMixin, Base):
    """One side's answer to an introduction: agreed with the contact it shares, or declined.

    The contact (name, organisation, phone/e-mail or handle as typed) is personal data: it is
    kept only to hand to the other side once both agreed, and erased with its member.
    """

    __tablename__ = "introduction_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(
        ForeignKey("partnership_interests.id", ondelete="CASCADE")
    )
    side: Mapped[IntroSide]
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    agreed: Mapped[bool] = mapped_column(Boolean)
    contact: Mapped[dict[str, Any] | None]
    answered_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("interest_id", "side"),)
