"""Partnership offers from the cities' side: the use cases chat and the dashboard call.

Browsing open offers by domain, newest first, a page at a time (`browse_offers`) and searching
them in Thai or English (`search_offers`, an in-memory index rebuilt when offers change); what
city members were shown is counted once each (`record_views`). A city's interest
(`express_interest`) tells the firm which city and which offer, and depa's coordinators, once.
An introduction (`request_introduction`, `answer_introduction`) asks both sides to share a
contact; only when both agreed does either receive the other's (PDPA): a decline on either side
ends it. Nothing here builds a reply: notices are written by the caller's `PartnerNotices`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import notices
from bot.delivery.notices import Compose
from db.enums import CITY_ROLES, InterestStatus, IntroSide, MemberStatus, OfferStatus, Role
from db.models import Domain, IntroductionConsent, Member, Organisation
from db.repositories import audit, interests
from db.repositories.interests import UNDECIDED, InterestRow
from db.repositories.members import active_member_ids
from db.repositories.offers import OfferInfo, offer_infos
from db.repositories.organisations import list_domains
from handlers.partners.rules import PartnersError, check_contact, contact_of
from handlers.partners.search import offer_index
from handlers.progress.service import depa_coordinators

PAGE_SIZE = 10  # one carousel (bot.core.replies.MAX_CARDS)
DEPA_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
INTRODUCED = "partners.introduced"


# --- browsing and search -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferPage:
    """One page of open offers (of a domain, or all), and whether another follows."""

    offers: list[OfferInfo]
    domain: Domain | None
    page: int
    more: bool


async def domains(*, session: AsyncSession) -> list[Domain]:
    """The smart-city domains, in the framework's order."""
    return await list_domains(session=session)


async def find_domain(*, session: AsyncSession, typed: str) -> Domain | None:
    """The domain people typed: its slug, or its Thai or English name (any case)."""
    wanted = " ".join(typed.casefold().split())
    for domain in await list_domains(session=session):
        if wanted in {domain.slug, domain.name_th.casefold(), domain.name_en.casefold()}:
            return domain
    return None


async def browse_offers(*, session: AsyncSession, domain: Domain | None, page: int) -> OfferPage:
    """Page `page` (from 0) of the open offers of `domain` (None: every domain), newest first."""
    ids = await interests.open_offer_ids(
        session=session,
        domain_id=domain.id if domain is not None else None,
        offset=max(page, 0) * PAGE_SIZE,
        limit=PAGE_SIZE + 1,  # one more says whether a next page exists
    )
    infos = await offer_infos(session=session, offer_ids=ids[:PAGE_SIZE])
    return OfferPage(infos, domain, max(page, 0), len(ids) > PAGE_SIZE)


async def search_offers(
    *, session: AsyncSession, query: str, limit: int = PAGE_SIZE
) -> list[OfferInfo]:
    """The open offers that best match `query` (Thai or English), best first."""
    hits = (await offer_index(session=session)).search(query, limit=limit)
    found = await offer_infos(session=session, offer_ids=[hit.key for hit in hits])
    return [info for info in found if info.status is OfferStatus.OPEN]


async def record_views(
    *, session: AsyncSession, member: Member, offers: Collection[OfferInfo], now: datetime
) -> None:
    """A city member was shown these offers' cards (depa's looks are not the firm's audience)."""
    if member.role not in CITY_ROLES:
        return
    await interests.record_views(
        session=session,
        offer_ids=[info.id for info in offers],
        member_id=member.id,
        organisation_id=member.organisation_id,
        now=now,
    )


# --- notices ---------------------------------------------------------------------------------


class PartnerNotices(Protocol):
    """How the notices of interests and introductions are written, per recipient language."""

    def interest_to_firm(self, made: InterestMade) -> Compose:
        """The firm hears which city is interested in which offer (no personal contact)."""

    def interest_to_depa(self, made: InterestMade) -> Compose:
        """depa's coordinators hear of it, with an Introduce button."""

    def intro_requested(self, row: InterestRow) -> Compose:
        """depa's coordinators hear that the city asked for an introduction."""

    def ask_consent(self, row: InterestRow, side: IntroSide) -> Compose:
        """One side is asked to share its contact, or decline."""

    def declined(self, answer: Answer) -> Compose:
        """The other side and the coordinators hear, politely, that it will not go ahead."""

    def introduced(self, answer: Answer, contact: IntroductionConsent) -> Compose:
        """One side receives the other's contact card."""

    def introduced_to_depa(self, answer: Answer) -> Compose:
        """The coordinators hear that the two were introduced (no contacts)."""


class Outreach(notices.Outreach[PartnerNotices]):
    """Where this feature's notices go, written by its PartnerNotices."""


# --- interest ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterestMade:
    """A city's new interest in an offer."""

    interest_id: int
    offer: OfferInfo
    city: Organisation


async def open_offer(*, session: AsyncSession, offer_id: int) -> OfferInfo:
    """The offer, if it still takes interest."""
    found = await offer_infos(session=session, offer_ids=[offer_id])
    if not found:
        raise PartnersError("unknown_offer")
    if found[0].status is not OfferStatus.OPEN:
        raise PartnersError("not_open", title=found[0].offer.title)
    return found[0]


async def express_interest(
    *, session: AsyncSession, offer_id: int, member: Member, now: datetime, outreach: Outreach
) -> InterestMade:
    """The member's city is interested in the offer: stored once; the firm and depa hear once."""
    if member.role not in CITY_ROLES:
        raise PartnersError("city_only")
    info = await open_offer(session=session, offer_id=offer_id)
    interest = await interests.add_interest(
        session=session,
        offer_id=offer_id,
        organisation_id=member.organisation_id,
        member_id=member.id,
        now=now,
    )
    if interest is None:
        existing = await interests.find_interest(
            session=session, offer_id=offer_id, organisation_id=member.organisation_id
        )
        raise PartnersError("already_interested", since=existing.created_at if existing else now)
    await audit.record(
        session=session,
        action="partners.interest",
        now=now,
        actor_member_id=member.id,
        target=f"offer:{offer_id}",
        details={"interest_id": interest.id, "organisation_id": member.organisation_id},
    )
    city = await session.get_one(Organisation, member.organisation_id)
    made = InterestMade(interest.id, info, city)
    firm = await active_member_ids(
        session=session, organisation_ids=[info.firm.id], roles=[Role.PARTNER]
    )
    tag = f"partners.interest:{interest.id}"
    compose = outreach.notices.interest_to_firm(made)
    await outreach.tell(session=session, member_ids=firm, compose=compose, now=now, tag=tag)
    await outreach.tell(
        session=session,
        member_ids=await depa_coordinators(session=session),
        compose=outreach.notices.interest_to_depa(made),
        now=now,
        tag=f"{tag}:depa",
    )
    return made


# --- introductions -------------------------------------------------------------------------------


async def interest_row(*, session: AsyncSession, interest_id: int) -> InterestRow:
    """The interest, locked, with its offer, city and firm."""
    if await interests.lock_interest(session=session, interest_id=interest_id) is None:
        raise PartnersError("unknown_interest")
    (row,) = await interests.interest_rows(session=session, interest_id=interest_id)
    return row


def still_open(row: InterestRow) -> None:
    """Refuse an introduction that is under way or over."""
    status = row.interest.status
    if status is InterestStatus.INTRODUCING:
        raise PartnersError("already_introducing")
    if status is InterestStatus.INTRODUCED:
        raise PartnersError("already_introduced")
    if status is InterestStatus.DECLINED:
        raise PartnersError("intro_ended")


async def active(session: AsyncSession, member_id: int | None) -> int | None:
    """`member_id` if that member is still active."""
    if member_id is None:
        return None
    member = await session.get(Member, member_id)
    return member_id if member is not None and member.status is MemberStatus.ACTIVE else None


async def askees(*, session: AsyncSession, row: InterestRow, side: IntroSide) -> list[int]:
    """Who answers for a side: the city's interested member (else its executives); the offer's
    author (else the firm's partners)."""
    if side is IntroSide.CITY:
        first, organisation_id, role = row.interest.member_id, row.city.id, Role.EXECUTIVE
    else:
        first, organisation_id, role = row.offer.created_by_member_id, row.firm.id, Role.PARTNER
    if (member_id := await active(session, first)) is not None:
        return [member_id]
    return await active_member_ids(
        session=session, organisation_ids=[organisation_id], roles=[role]
    )


async def request_introduction(
    *, session: AsyncSession, interest_id: int, member: Member, now: datetime, outreach: Outreach
) -> InterestRow:
    """depa (or the interested city) asks for an introduction: both sides are asked to consent."""
    row = await interest_row(session=session, interest_id=interest_id)
    by_city = member.role in CITY_ROLES and member.organisation_id == row.city.id
    if member.role not in DEPA_ROLES and not by_city:
        raise PartnersError("not_yours")
    still_open(row)
    if row.offer.status is not OfferStatus.OPEN:
        raise PartnersError("not_open", title=row.offer.title)
    row.interest.status = InterestStatus.INTRODUCING
    row.interest.intro_requested_at = now
    row.interest.intro_requested_by_member_id = member.id
    await audit.record(
        session=session,
        action="partners.intro_requested",
        now=now,
        actor_member_id=member.id,
        target=f"interest:{interest_id}",
        details={"offer_id": row.offer.id, "organisation_id": row.city.id},
    )
    tag = f"partners.intro:{interest_id}"
    for side in IntroSide:
        await outreach.tell(
            session=session,
            member_ids=await askees(session=session, row=row, side=side),
            compose=outreach.notices.ask_consent(row, side),
            now=now,
            tag=f"{tag}:{side.value}",
        )
    if by_city:
        await outreach.tell(
            session=session,
            member_ids=await depa_coordinators(session=session),
            compose=outreach.notices.intro_requested(row),
            now=now,
            tag=f"{tag}:depa",
        )
    return row


@dataclass(frozen=True, slots=True)
class Answer:
    """One side's answer to an introduction, and the other side's, if it answered."""

    row: InterestRow
    side: IntroSide
    consent: IntroductionConsent
    other: IntroductionConsent | None

    @property
    def introduced(self) -> bool:
        """Both sides agreed: each has the other's contact now."""
        return self.row.interest.status is InterestStatus.INTRODUCED


async def answerable(
    *, session: AsyncSession, interest_id: int, member: Member
) -> tuple[InterestRow, IntroSide]:
    """The introduction the member may answer now, and for which side."""
    row = await interest_row(session=session, interest_id=interest_id)
    if member.organisation_id == row.city.id and member.role in CITY_ROLES:
        side = IntroSide.CITY
    elif member.organisation_id == row.firm.id and member.role is Role.PARTNER:
        side = IntroSide.FIRM
    else:
        raise PartnersError("not_yours")
    status = row.interest.status
    if status in {InterestStatus.INTRODUCED, InterestStatus.DECLINED}:
        raise PartnersError("intro_ended")
    if status is not InterestStatus.INTRODUCING:
        raise PartnersError("not_asked")
    consents = await interests.consents_of(session=session, interest_id=interest_id)
    if side.value in consents:
        raise PartnersError("already_answered")
    return row, side


async def answer_introduction(
    *,
    session: AsyncSession,
    interest_id: int,
    member: Member,
    contact: str | None,
    now: datetime,
    outreach: Outreach,
) -> Answer:
    """The member shares `contact` for their side (None: declines).

    Once both sides agreed, each receives the other's contact and the interest is introduced;
    a decline ends it, the other side and depa told politely, nothing shared.
    """
    checked = check_contact(contact) if contact is not None else None
    row, side = await answerable(session=session, interest_id=interest_id, member=member)
    organisation = row.city if side is IntroSide.CITY else row.firm
    consent = IntroductionConsent(
        interest_id=interest_id,
        side=side,
        member_id=member.id,
        agreed=checked is not None,
        contact=contact_of(member, organisation, checked) if checked is not None else None,
        answered_at=now,
    )
    session.add(consent)
    await session.flush()
    consents = await interests.consents_of(session=session, interest_id=interest_id)
    other_side = IntroSide.FIRM if side is IntroSide.CITY else IntroSide.CITY
    other = consents.get(other_side.value)
    target = f"interest:{interest_id}"
    tag = f"partners.intro:{interest_id}"
    coordinators = await depa_coordinators(session=session)
    if checked is None:
        row.interest.status = InterestStatus.DECLINED
        answer = Answer(row, side, consent, other)
        await audit.record(
            session=session,
            action="partners.intro_declined",
            now=now,
            actor_member_id=member.id,
            target=target,
            details={"side": side.value},
        )
        others = [other.member_id] if other is not None and other.member_id else []
        if not others:
            others = await askees(session=session, row=row, side=other_side)
        await outreach.tell(
            session=session,
            member_ids=[*others, *coordinators],
            compose=outreach.notices.declined(answer),
            now=now,
            tag=f"{tag}:declined",
        )
        return answer
    answer = Answer(row, side, consent, other)
    if other is None or not other.agreed:
        return answer
    row.interest.status = InterestStatus.INTRODUCED
    row.interest.introduced_at = now
    await audit.record(
        session=session,
        action=INTRODUCED,
        now=now,
        actor_member_id=member.id,
        target=target,
        details={"offer_id": row.offer.id, "organisation_id": row.city.id},
    )
    if other.member_id is not None:
        await outreach.tell(
            session=session,
            member_ids=[other.member_id],
            compose=outreach.notices.introduced(answer, consent),
            now=now,
            tag=f"{tag}:introduced",
        )
    await outreach.tell(
        session=session,
        member_ids=coordinators,
        compose=outreach.notices.introduced_to_depa(answer),
        now=now,
        tag=f"{tag}:introduced:depa",
    )
    return answer


# --- for depa's lists and the dashboard ------------------------------------------------------


async def interests_of_offer(*, session: AsyncSession, offer_id: int) -> list[InterestRow]:
    """The cities interested in an offer, in the order they said so; one query."""
    return await interests.interest_rows(session=session, offer_id=offer_id)


async def open_introductions(
    *, session: AsyncSession, limit: int | None = None
) -> list[InterestRow]:
    """Interests waiting for an introduction or for its answers, oldest first; one query."""
    return await interests.interest_rows(session=session, statuses=UNDECIDED, limit=limit)
