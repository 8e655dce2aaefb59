"""Partnerships at a desk: offers waiting for depa's review (approve, or reject with a reason),
open offers with the cities interested and where each introduction stands, and Introduce.

Every step is the features' service's, as chat's `/offers` and `/introduce` take it: the firm
and the matching cities hear in chat, in words the chat's own notices write.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from bot.core.texts import Translator
from bot.web.dashboard import desk
from bot.web.dashboard.site import Site
from db.enums import InterestStatus, OfferStatus
from db.repositories.interests import InterestRow
from handlers.dashboard.service import Viewer
from handlers.offers import service as offers
from handlers.offers.notices import ChatNotices as OfferNotices
from handlers.partners import service as partners
from handlers.partners.cards import offer_line
from handlers.partners.notices import ChatNotices as PartnerNotices
from handlers.partners.rules import PartnersError

PATH = "/dashboard/partners"
DONE = frozenset({"approved", "rejected", "introduced"})
REASON_CHARS = 500


@dataclass(frozen=True, slots=True)
class OpenOffer:
    """An open offer with its counts and the cities interested in it."""

    summary: offers.OfferSummary
    interests: list[InterestRow]


def offer_refusal(t: Translator, problem: offers.OfferError) -> str:
    """An OfferError in the viewer's words, as chat says it."""
    details = dict(problem.details)
    if "status" in details:
        details["status"] = t(f"offers.statuses.{details['status']}")
    return t(f"offers.errors.{problem.reason}", **details)


def routes(site: Site) -> list[BaseRoute]:
    """`/dashboard/partners` and its forms: approve, reject, introduce."""

    def offer_outreach() -> offers.Outreach:
        return offers.Outreach.pushing(site.services, OfferNotices())

    def partner_outreach() -> partners.Outreach:
        return partners.Outreach.pushing(site.services, PartnerNotices())

    async def page(
        request: Request, viewer: Viewer, *, problem: str | None = None, status: int = 200
    ) -> Response:
        """Pending offers, open ones with their interests, interests awaiting an introduction."""
        t = desk.translator(site, viewer)
        async with site.app.sessions() as session:
            pending = await offers.pending_offers(session=session)
            open_offers = [
                OpenOffer(
                    summary,
                    await partners.interests_of_offer(session=session, offer_id=summary.info.id),
                )
                for summary in await offers.list_offers(session=session, status=OfferStatus.OPEN)
            ]
            under_way = await partners.open_introductions(session=session)
        return site.page(
            request,
            viewer,
            "partners.html",
            status=status,
            problem=problem,
            done=desk.outcome(request, t, "partners_page", DONE),
            pending=pending,
            open_offers=open_offers,
            under_way=under_way,
            describe=lambda info: offer_line(t, info),
            expressed=InterestStatus.EXPRESSED,
            reason_chars=REASON_CHARS,
        )

    async def review(request: Request, viewer: Viewer) -> Response:
        """Approve (published: the firm and matching cities hear) or reject with a reason."""
        number, verb = request.path_params["id"], request.path_params["act"]
        if verb not in {"approve", "reject"}:
            return site.notice("not_found", status=404, viewer=viewer)
        form = await request.form()
        try:
            async with site.app.sessions() as session, session.begin():
                if verb == "approve":
                    await offers.approve_offer(
                        session=session,
                        offer_id=number,
                        reviewer=viewer.member,
                        now=site.now(),
                        outreach=offer_outreach(),
                    )
                else:
                    await offers.reject_offer(
                        session=session,
                        offer_id=number,
                        reviewer=viewer.member,
                        reason=desk.field(form, "reason")[:REASON_CHARS],
                        now=site.now(),
                        outreach=offer_outreach(),
                    )
        except offers.OfferError as problem:
            words = offer_refusal(desk.translator(site, viewer), problem)
            return await page(request, viewer, problem=words, status=400)
        return desk.done(PATH, "approved" if verb == "approve" else "rejected", number)

    async def introduce(request: Request, viewer: Viewer) -> Response:
        """Ask both sides of an interest to share a contact, as `/introduce ID` does."""
        number = request.path_params["id"]
        try:
            async with site.app.sessions() as session, session.begin():
                await partners.request_introduction(
                    session=session,
                    interest_id=number,
                    member=viewer.member,
                    now=site.now(),
                    outreach=partner_outreach(),
                )
        except PartnersError as problem:
            t = desk.translator(site, viewer)
            words = t(f"partners.errors.{problem.reason}", **problem.details)
            return await page(request, viewer, problem=words, status=409)
        return desk.done(PATH, "introduced", number)

    async def partnerships(request: Request, viewer: Viewer) -> Response:
        """The page."""
        return await page(request, viewer)

    return [
        site.route(PATH, partnerships, depa=True),
        site.route(f"{PATH}/offers/{{id:int}}/{{act}}", review, ("POST",), depa=True),
        site.route(f"{PATH}/interests/{{id:int}}/introduce", introduce, ("POST",), depa=True),
    ]
