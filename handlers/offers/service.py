"""Partnership offers: the use cases chat, `citybot partners list` and the dashboard call.

A partner firm writes an offer (`create_offer`: validated whole, stored PENDING, audited, depa's
coordinators asked to review); a coordinator approves it (`approve_offer`: OPEN, published, one
card to each active executive and officer of every matching city, in their language) or rejects
it with a reason (`reject_offer`); the firm may close it (`close_offer`). Lists with their counts
in a fixed number of queries: `pending_offers`, `firm_offers`, `list_offers`.

A matching city works in one of the offer's domains (`organisation_domains`) or is named by the
offer. Nothing here builds a reply: notices are written by the caller's `OfferNotices`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import notices
from bot.delivery.notices import Compose
from db.enums import CITY_ROLES, OfferKind, OfferStatus, OrganisationKind, Role
from db.models import Member, Organisation, PartnershipOffer
from db.repositories import audit
from db.repositories.members import active_member_ids
from db.repositories.offers import (
    OfferCounts,
    OfferInfo,
    add_offer,
    get_offer,
    matching_cities,
    offer_counts,
    offer_ids,
    offer_infos,
)
from db.repositories.organisations import list_cities, list_domains
from handlers.progress.service import depa_coordinators

TITLE_CHARS = 120
DESCRIPTION_CHARS = 1000
URL_CHARS = 1000
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)
# Who in a city hears of a published offer.
# Offers a firm may still close: those not yet turned down or closed.
CLOSABLE = frozenset({OfferStatus.PENDING, OfferStatus.OPEN})


class OfferError(Exception):
    """An offer, a review or a closing that cannot be done, and why (`offers.errors.<reason>`).

    Reasons: `not_partner`, `empty_title`, `title_too_long`, `empty_description`,
    `description_too_long`, `no_domain`, `unknown_domain`, `no_city`, `unknown_city`,
    `unknown_kind`, `bad_link`, `unknown_offer`, `not_pending`, `reason_needed`,
    `not_your_offer`, `not_closable`.
    """

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


# --- what a firm offers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewOffer:
    """An offer as its firm wrote it, before it is stored: domain and city slugs, the words."""

    domains: tuple[str, ...]
    title: str
    description: str
    kind: OfferKind
    targets_all: bool = True
    targets: tuple[str, ...] = ()
    url: str | None = None


def check_title(typed: str) -> str:
    """The title, trimmed; OfferError when empty or over TITLE_CHARS."""
    title = " ".join(typed.split())
    if not title:
        raise OfferError("empty_title")
    if len(title) > TITLE_CHARS:
        raise OfferError("title_too_long", limit=TITLE_CHARS, count=len(title))
    return title


def check_description(typed: str) -> str:
    """The description, trimmed (line breaks kept); OfferError when empty or too long."""
    description = typed.strip()
    if not description:
        raise OfferError("empty_description")
    if len(description) > DESCRIPTION_CHARS:
        raise OfferError("description_too_long", limit=DESCRIPTION_CHARS, count=len(description))
    return description


def check_link(typed: str) -> str:
    """An http(s) link; only its form is checked, the bot never fetches it."""
    link = typed.strip()
    if len(link) > URL_CHARS or not _URL.match(link):
        raise OfferError("bad_link")
    return link


class OfferNotices(Protocol):
    """How the notices of offers are written (the chat views do it), per recipient language."""

    def to_reviewers(self, info: OfferInfo) -> Compose:
        """A new offer for depa's coordinators, with Approve and Reject buttons."""

    def approved(self, info: OfferInfo) -> Compose:
        """The firm hears its offer is published."""

    def rejected(self, info: OfferInfo, reason: str) -> Compose:
        """The firm hears its offer was turned down, and why."""

    def published(self, info: OfferInfo) -> Compose:
        """A matching city's members get the offer's card."""


class Outreach(notices.Outreach[OfferNotices]):
    """Where this feature's notices go, written by its OfferNotices."""


async def check_offer(*, session: AsyncSession, offer: NewOffer) -> tuple[list[int], list[int]]:
    """The ids of the offer's domains and named cities; OfferError for anything wrong in it."""
    check_title(offer.title)
    check_description(offer.description)
    if offer.url is not None:
        check_link(offer.url)
    if not offer.domains:
        raise OfferError("no_domain")
    domains = {domain.slug: domain.id for domain in await list_domains(session=session)}
    unknown = [slug for slug in offer.domains if slug not in domains]
    if unknown:
        raise OfferError("unknown_domain", typed=unknown[0], known=", ".join(domains))
    target_ids: list[int] = []
    if not offer.targets_all:
        if not offer.targets:
            raise OfferError("no_city")
        cities = {city.slug: city.id for city in await list_cities(session=session)}
        missing = [slug for slug in offer.targets if slug not in cities]
        if missing:
            raise OfferError("unknown_city", typed=missing[0])
        target_ids = list(dict.fromkeys(cities[slug] for slug in offer.targets))
    return list(dict.fromkeys(domains[slug] for slug in offer.domains)), target_ids


async def create_offer(
    *, session: AsyncSession, author: Member, offer: NewOffer, now: datetime, outreach: Outreach
) -> OfferInfo:
    """Store a partner firm's offer, PENDING depa's review, audited; the coordinators are asked.

    Everything is checked before anything is written: a refused offer leaves no row.
    """
    firm = await session.get_one(Organisation, author.organisation_id)
    if author.role is not Role.PARTNER or firm.kind is not OrganisationKind.PARTNER:
        raise OfferError("not_partner")
    domain_ids, target_ids = await check_offer(session=session, offer=offer)
    stored = await add_offer(
        session=session,
        offer=PartnershipOffer(
            organisation_id=firm.id,
            created_by_member_id=author.id,
            title=check_title(offer.title),
            description=check_description(offer.description),
            url=offer.url,
            kind=offer.kind,
            targets_all=offer.targets_all,
            status=OfferStatus.PENDING,
        ),
        domain_ids=domain_ids,
        target_ids=target_ids,
    )
    await audit.record(
        session=session,
        action="offers.created",
        now=now,
        actor_member_id=author.id,
        target=f"offer:{stored.id}",
        details={
            "org": firm.slug,
            "domains": list(offer.domains),
            "kind": offer.kind.value,
            "targets": list(offer.targets) if not offer.targets_all else "all",
        },
    )
    (info,) = await offer_infos(session=session, offer_ids=[stored.id])
    await outreach.tell(
        session=session,
        member_ids=await depa_coordinators(session=session),
        compose=outreach.notices.to_reviewers(info),
        now=now,
        tag=f"offer:{stored.id}:review",
    )
    return info


# --- depa's review -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Publication:
    """An approved offer and the cities it went to, with how many messages were queued."""

    info: OfferInfo
    cities: list[Organisation]
    queued: int


async def pending_review(*, session: AsyncSession, offer_id: int) -> PartnershipOffer:
    """The offer to review, locked; OfferError when there is none or it is no longer pending."""
    offer = await get_offer(session=session, offer_id=offer_id, for_update=True)
    if offer is None:
        raise OfferError("unknown_offer", id=offer_id)
    if offer.status is not OfferStatus.PENDING:
        raise OfferError("not_pending", id=offer_id, status=offer.status.value)
    return offer


async def firm_members(*, session: AsyncSession, offer: PartnershipOffer) -> list[int]:
    """Who hears how the review went: the firm's active partners."""
    return await active_member_ids(
        session=session, organisation_ids=[offer.organisation_id], roles=[Role.PARTNER]
    )


async def approve_offer(
    *, session: AsyncSession, offer_id: int, reviewer: Member, now: datetime, outreach: Outreach
) -> Publication:
    """Publish a pending offer: OPEN, audited, the firm told, one card per member of each
    matching city (once: the tag `offer:<id>:published` keeps a second queueing out)."""
    offer = await pending_review(session=session, offer_id=offer_id)
    offer.status = OfferStatus.OPEN
    offer.published_at = offer.reviewed_at = now
    offer.reviewed_by_member_id = reviewer.id
    cities = await matching_cities(session=session, offer_id=offer.id)
    await audit.record(
        session=session,
        action="offers.approved",
        now=now,
        actor_member_id=reviewer.id,
        target=f"offer:{offer.id}",
        details={"cities": [city.slug for city in cities]},
    )
    (info,) = await offer_infos(session=session, offer_ids=[offer.id])
    await outreach.tell(
        session=session,
        member_ids=await firm_members(session=session, offer=offer),
        compose=outreach.notices.approved(info),
        now=now,
        tag=f"offer:{offer.id}:approved",
    )
    queued = await outreach.tell(
        session=session,
        member_ids=await active_member_ids(
            session=session, organisation_ids=[city.id for city in cities], roles=CITY_ROLES
        ),
        compose=outreach.notices.published(info),
        now=now,
        tag=f"offer:{offer.id}:published",
    )
    return Publication(info, cities, queued)


async def reject_offer(
    *,
    session: AsyncSession,
    offer_id: int,
    reviewer: Member,
    reason: str,
    now: datetime,
    outreach: Outreach,
) -> OfferInfo:
    """Turn a pending offer down with a reason (required), audited; the firm hears why."""
    why = reason.strip()
    if not why:
        raise OfferError("reason_needed")
    offer = await pending_review(session=session, offer_id=offer_id)
    offer.status = OfferStatus.REJECTED
    offer.reviewed_at = now
    offer.reviewed_by_member_id = reviewer.id
    offer.review_reason = why
    await audit.record(
        session=session,
        action="offers.rejected",
        now=now,
        actor_member_id=reviewer.id,
        target=f"offer:{offer.id}",
        details={"reason": why[:500]},
    )
    (info,) = await offer_infos(session=session, offer_ids=[offer.id])
    await outreach.tell(
        session=session,
        member_ids=await firm_members(session=session, offer=offer),
        compose=outreach.notices.rejected(info, why),
        now=now,
        tag=f"offer:{offer.id}:rejected",
    )
    return info


async def close_offer(
    *, session: AsyncSession, offer_id: int, member: Member, now: datetime
) -> OfferInfo:
    """The firm withdraws its own pending or open offer: CLOSED, audited, no new interest."""
    offer = await get_offer(session=session, offer_id=offer_id, for_update=True)
    if offer is None:
        raise OfferError("unknown_offer", id=offer_id)
    if offer.organisation_id != member.organisation_id:
        raise OfferError("not_your_offer", id=offer_id)
    if offer.status not in CLOSABLE:
        raise OfferError("not_closable", id=offer_id, status=offer.status.value)
    offer.status = OfferStatus.CLOSED
    offer.closed_at = now
    await audit.record(
        session=session,
        action="offers.closed",
        now=now,
        actor_member_id=member.id,
        target=f"offer:{offer.id}",
    )
    (info,) = await offer_infos(session=session, offer_ids=[offer.id])
    return info


# --- lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferSummary:
    """An offer with its firm, domains and counts."""

    info: OfferInfo
    counts: OfferCounts = field(default_factory=OfferCounts)


async def summaries(*, session: AsyncSession, ids: Sequence[int]) -> list[OfferSummary]:
    """The offers of `ids` with their counts, in that order; four queries however many."""
    counts = await offer_counts(session=session, offer_ids=ids)
    return [
        OfferSummary(info, counts.get(info.id, OfferCounts()))
        for info in await offer_infos(session=session, offer_ids=ids)
    ]


async def pending_offers(*, session: AsyncSession) -> list[OfferInfo]:
    """The offers waiting for depa's review, oldest first."""
    ids = await offer_ids(session=session, status=OfferStatus.PENDING, newest_first=False)
    return await offer_infos(session=session, offer_ids=ids)


async def firm_offers(*, session: AsyncSession, organisation_id: int) -> list[OfferSummary]:
    """A firm's offers, newest first, with their views, interests and introductions."""
    ids = await offer_ids(session=session, organisation_id=organisation_id)
    return await summaries(session=session, ids=ids)


async def list_offers(
    *, session: AsyncSession, status: OfferStatus | None = None
) -> list[OfferSummary]:
    """Every offer in `status` (all when None), oldest first, with counts."""
    ids = await offer_ids(session=session, status=status, newest_first=False)
    return await summaries(session=session, ids=ids)


def offer_record(summary: OfferSummary) -> dict[str, Any]:
    """An offer as `citybot partners list` prints it."""
    info = summary.info
    return {
        "id": info.id,
        "org": info.firm.slug,
        "title": info.offer.title,
        "domains": [domain.slug for domain in info.domains],
        "status": info.status.value,
        "interests": summary.counts.interests,
        "introduced": summary.counts.introduced,
    }
