"""Partnerships from the cities' side: `/partners` (หาพาร์ทเนอร์, ข้อเสนอความร่วมมือ) to browse
and search firms' open offers, Interested on each card, and depa's introductions.

City teams and depa browse; a partner firm is pointed to `/myoffers`. Only a city's executives
and officers say Interested (for their city, once). An introduction is asked for by depa (a
button, or `/introduce ID`) or the interested city (a button); each side then shares a contact
(the one typed step, `draft.Step.CONTACT`) or declines, and only when both agreed does each
receive the other's card. Use cases in `service.py`, replies in `views.py`, notices in
`notices.py`, the flow's diagram in `flow.mmd`.
"""

from __future__ import annotations

from bot.core.authz import DEPA_STAFF, MEMBERS, NOT_DEPA, roles
from bot.core.context import Context
from bot.core.events import Event, TextReceived
from bot.core.replies import MAX_CHOICES, Reply, Text
from bot.core.router import Router
from db.enums import CITY_ROLES, Role
from db.models import Domain
from db.repositories.offers import OfferInfo
from handlers.partners import service, views
from handlers.partners.draft import FLOW, FLOW_TTL, Draft, Step
from handlers.partners.notices import ChatNotices
from handlers.partners.payloads import Interested, IntroAnswer, Introduce, OffersPage
from handlers.partners.rules import PartnersError

BROWSERS = roles(Role.EXECUTIVE, Role.OFFICER, Role.COORDINATOR, Role.ADMIN)

router = Router("partners")
router.abandons(FLOW, "partners.intro.abandoned")


def outreach(ctx: Context) -> service.Outreach:
    """Where this event's notices go."""
    return service.Outreach.pushing(ctx.services, ChatNotices())


def is_city(ctx: Context) -> bool:
    """Whether the sender may say Interested (and their looks count as views)."""
    return ctx.registered.role in CITY_ROLES


async def shown(ctx: Context, offers: list[OfferInfo]) -> None:
    """Count the cards a city member was shown."""
    await service.record_views(
        session=ctx.session, member=ctx.registered, offers=offers, now=ctx.now
    )


# --- browsing ------------------------------------------------------------------------------------


@router.command("partners", access=BROWSERS)
async def partners(_event: Event, ctx: Context) -> list[Reply]:
    """`/partners`: the domains; `/partners energy` that domain; `/partners WORDS` a search."""
    typed = ctx.args.strip()
    domains = await service.domains(session=ctx.session)
    if not typed:
        return [views.domain_picker(ctx, ctx.t("partners.browse.intro"), domains)]
    if typed.casefold() in {views.ALL, ctx.t("partners.browse.all").casefold()}:
        return await browse(ctx, None, 0)
    domain = await service.find_domain(session=ctx.session, typed=typed)
    if domain is not None:
        return await browse(ctx, domain, 0)
    found = await service.search_offers(session=ctx.session, query=typed)
    if not found:
        shown_query = typed[: views.QUERY_CHARS]
        text = ctx.t("partners.search.none", query=shown_query)
        return [views.domain_picker(ctx, text, domains)]
    await shown(ctx, found)
    return [views.hits(ctx, typed, found, interest=is_city(ctx))]


@router.command("partners", access=roles(Role.PARTNER))
async def firm_browsing(_event: Event, ctx: Context) -> list[Reply]:
    """A partner firm does not browse offers: its own are under /myoffers."""
    return [Text(text=ctx.t("partners.firm_hint"))]


async def browse(ctx: Context, domain: Domain | None, page: int) -> list[Reply]:
    """A page of open offers of `domain` (None: all)."""
    found = await service.browse_offers(session=ctx.session, domain=domain, page=page)
    await shown(ctx, found.offers)
    return views.offer_page(ctx, found, interest=is_city(ctx))


@router.choice(OffersPage, access=BROWSERS)
async def offers_page(pressed: OffersPage, ctx: Context) -> list[Reply]:
    """A domain of the picker, All, or More."""
    if pressed.slug == views.ALL:
        return await browse(ctx, None, pressed.page)
    domain = await service.find_domain(session=ctx.session, typed=pressed.slug)
    if domain is None:  # a domain removed from content since the button was sent
        domains = await service.domains(session=ctx.session)
        return [views.domain_picker(ctx, ctx.t("partners.browse.intro"), domains)]
    return await browse(ctx, domain, pressed.page)


# --- interest ------------------------------------------------------------------------------------


@router.choice(Interested, access=MEMBERS)
async def interested(pressed: Interested, ctx: Context) -> list[Reply]:
    """Interested on an offer's card (in browsing or a new-offer notice): for the sender's city."""
    try:
        made = await service.express_interest(
            session=ctx.session,
            offer_id=pressed.offer_id,
            member=ctx.registered,
            now=ctx.now,
            outreach=outreach(ctx),
        )
    except PartnersError as problem:
        return [views.error(ctx, problem)]
    return [views.interested(ctx, made)]


# --- introductions -------------------------------------------------------------------------------


async def introduce(ctx: Context, interest_id: int) -> list[Reply]:
    """Ask both sides of the interest to share a contact."""
    try:
        row = await service.request_introduction(
            session=ctx.session,
            interest_id=interest_id,
            member=ctx.registered,
            now=ctx.now,
            outreach=outreach(ctx),
        )
    except PartnersError as problem:
        return [views.error(ctx, problem)]
    return [views.intro_requested(ctx, row)]


@router.choice(Introduce, access=MEMBERS)
async def introduce_pressed(pressed: Introduce, ctx: Context) -> list[Reply]:
    """Introduce (depa's notice) or Ask depa to introduce us (the city's confirmation)."""
    return await introduce(ctx, pressed.interest_id)


@router.command("introduce", access=DEPA_STAFF)
async def introduce_command(_event: Event, ctx: Context) -> list[Reply]:
    """`/introduce ID`; without an id, the interests still waiting."""
    typed = ctx.args.strip().lstrip("#")
    if not typed:
        rows = await service.open_introductions(session=ctx.session, limit=MAX_CHOICES)
        return [views.open_introductions(ctx, rows)]
    if not typed.isdecimal():
        return [views.error(ctx, PartnersError("unknown_interest"))]
    return await introduce(ctx, int(typed))


@router.command("introduce", access=NOT_DEPA)
async def not_depa(_event: Event, ctx: Context) -> list[Reply]:
    """Introductions are depa's to make: a city asks with the button on its interest."""
    return [Text(text=ctx.t("partners.errors.depa_only"))]


@router.choice(IntroAnswer, access=MEMBERS)
async def intro_answer(pressed: IntroAnswer, ctx: Context) -> list[Reply]:
    """Share my contact (then type it) or Decline."""
    try:
        if not pressed.share:
            answer = await service.answer_introduction(
                session=ctx.session,
                interest_id=pressed.interest_id,
                member=ctx.registered,
                contact=None,
                now=ctx.now,
                outreach=outreach(ctx),
            )
            await ctx.state.clear()
            return views.answered(ctx, answer)
        row, _side = await service.answerable(
            session=ctx.session, interest_id=pressed.interest_id, member=ctx.registered
        )
    except PartnersError as problem:
        return [views.error(ctx, problem)]
    await ctx.state.go(Step.CONTACT, Draft(pressed.interest_id).data(), ttl=FLOW_TTL)
    return [views.ask_contact(ctx, row)]


@router.step(Step.CONTACT, access=MEMBERS)
async def contact_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """The phone number, e-mail or handle to share; asked again until it is one."""
    draft = Draft.from_data(ctx.state.data)
    if draft is None:
        await ctx.state.clear()
        return [Text(text=ctx.t("partners.errors.intro_ended"))]
    try:
        answer = await service.answer_introduction(
            session=ctx.session,
            interest_id=draft.interest_id,
            member=ctx.registered,
            contact=event.text,
            now=ctx.now,
            outreach=outreach(ctx),
        )
    except PartnersError as problem:
        if problem.reason != "bad_contact":
            await ctx.state.clear()
        return [views.error(ctx, problem)]
    await ctx.state.clear()
    return views.answered(ctx, answer)
