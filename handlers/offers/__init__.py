"""Partnership offers in chat: a firm's `/offer` (เสนอความร่วมมือ), depa's `/offers` review and
the firm's `/myoffers`.

A partner firm's member writes an offer step by step (domains, title, description, kind, cities,
link), sees it as cities will, and sends it to depa; a coordinator approves it (published: each
matching city's members get the card) or rejects it with a reason; the firm sees its offers with
their counts and may close one. Use cases in `service.py`, replies in `views.py`, notices in
`notices.py`, the flow's diagram in `flow.mmd`; any command amid an offer or a rejection's
reason ends it, saying so (`Router.abandons`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.core.authz import DEPA_STAFF, NOT_DEPA, roles
from bot.core.context import Context
from bot.core.events import Event, TextReceived
from bot.core.replies import Reply, Text
from bot.core.router import Router
from db.enums import Role
from db.models import Domain, Organisation, PartnershipOffer
from db.repositories.offers import OfferInfo, offer_infos
from db.repositories.organisations import list_cities, list_domains
from handlers.offers import service, views
from handlers.offers.draft import (
    FLOW,
    FLOW_TTL,
    KEEPS,
    MOVES,
    REVIEW_FLOW,
    Draft,
    Review,
    Step,
    pick,
    read_kind,
    said,
    toggled,
)
from handlers.offers.notices import ChatNotices
from handlers.offers.payloads import (
    Act,
    CityToggled,
    CloseOffer,
    DomainToggled,
    FlowPressed,
    KindPicked,
    Reviewed,
)
from handlers.offers.service import OfferError

PARTNERS = roles(Role.PARTNER)
NOT_PARTNERS = roles(Role.EXECUTIVE, Role.OFFICER, Role.COORDINATOR, Role.ADMIN)
# Flow buttons: a firm writing an offer, depa cancelling a rejection's reason.
FLOW_PEOPLE = roles(Role.PARTNER, Role.COORDINATOR, Role.ADMIN)

router = Router("offers")
router.abandons(FLOW, "offers.abandoned")
router.abandons(REVIEW_FLOW, "offers.review_abandoned")


def outreach(ctx: Context) -> service.Outreach:
    """Where this event's notices go."""
    return service.Outreach.pushing(ctx.services, ChatNotices())


# --- writing an offer ----------------------------------------------------------------------------


@router.command("offer", access=PARTNERS)
async def offer_command(_event: Event, ctx: Context) -> list[Reply]:
    """`/offer`: a new draft, starting with its domains."""
    return await ask(ctx, Step.DOMAINS, Draft())


@router.command("offer", access=NOT_PARTNERS)
@router.command("myoffers", access=NOT_PARTNERS)
@router.command("myoffers", sub="close", access=NOT_PARTNERS)
async def not_a_partner(_event: Event, ctx: Context) -> list[Reply]:
    """Cities and depa make no offers: say who does."""
    return [Text(text=ctx.t("offers.partner_only"))]


async def cities(ctx: Context) -> list[Organisation]:
    """The cities, by name in the sender's language, as the picker numbers them."""
    return sorted(await list_cities(session=ctx.session), key=lambda c: ctx.local(c, "name"))


async def ask(ctx: Context, step: Step, draft: Draft) -> list[Reply]:
    """Go to `step` with `draft` and ask its question."""
    await ctx.state.go(step, draft.data(), ttl=FLOW_TTL)
    match step:
        case Step.DOMAINS:
            return [views.ask_domains(ctx, draft, await list_domains(session=ctx.session))]
        case Step.TITLE:
            return [views.ask_title(ctx, draft)]
        case Step.DESCRIPTION:
            return [views.ask_description(ctx, draft)]
        case Step.KIND:
            return [views.ask_kind(ctx, draft)]
        case Step.TARGETS:
            return [views.ask_targets(ctx, await list_domains(session=ctx.session), draft)]
        case Step.CITIES:
            return [views.ask_cities(ctx, draft, await cities(ctx))]
        case Step.LINK:
            return [views.ask_link(ctx, draft)]
        case Step.PREVIEW:
            return await preview(ctx, draft)


async def preview(ctx: Context, draft: Draft) -> list[Reply]:
    """The offer as cities will see it, and who will: nothing is stored yet."""
    offer = draft.offer()
    if offer is None:  # a step was skipped by an old button: ask from the start
        return await ask(ctx, Step.DOMAINS, draft)
    domains = await list_domains(session=ctx.session)
    info = OfferInfo(
        offer=PartnershipOffer(
            title=offer.title, description=offer.description, url=offer.url, kind=offer.kind
        ),
        firm=await ctx.session.get_one(Organisation, ctx.registered.organisation_id),
        domains=tuple(domain for domain in domains if domain.slug in offer.domains),
    )
    targets = views.targets_text(ctx, draft, domains, await cities(ctx))
    return views.preview(ctx, info, targets)


def current(ctx: Context) -> tuple[Step, Draft] | None:
    """Where the sender is in writing an offer, and the draft; None outside the flow."""
    step = next((s for s in Step if ctx.state.at(s)), None)
    draft = Draft.from_data(ctx.state.data) if step is not None else None
    if step is None or draft is None:
        return None
    return step, draft


def stale(ctx: Context) -> list[Reply]:
    """A button of an offer no longer being written."""
    return [Text(text=ctx.t("offers.stale"))]


async def ask_again(ctx: Context, step: Step, draft: Draft, problem: OfferError) -> list[Reply]:
    """What was wrong, and the same question again."""
    return [views.error(ctx, problem), *await ask(ctx, step, draft)]


async def take(ctx: Context, step: Step, draft: Draft, typed: str) -> tuple[Draft, Step]:
    """The draft with what was typed at `step`, and the step that comes next."""
    match step:
        case Step.DOMAINS:
            domains = await list_domains(session=ctx.session)
            chosen = pick(typed, domains, unknown="unknown_domain", empty="no_domain")
            return replace(draft, domains=tuple(d.slug for d in chosen)), Step.TITLE
        case Step.TITLE:
            return replace(draft, title=service.check_title(typed)), Step.DESCRIPTION
        case Step.DESCRIPTION:
            return replace(draft, description=service.check_description(typed)), Step.KIND
        case Step.KIND:
            return replace(draft, kind=read_kind(ctx.services.texts, typed)), Step.TARGETS
        case Step.TARGETS if said(ctx.services.texts, typed, "all_words"):
            return replace(draft, targets_all=True, targets=()), Step.LINK
        case Step.TARGETS | Step.CITIES:
            chosen_cities = pick(typed, await cities(ctx), unknown="unknown_city", empty="no_city")
            targets = tuple(city.slug for city in chosen_cities)
            return replace(draft, targets_all=False, targets=targets), Step.LINK
        case Step.LINK if said(ctx.services.texts, typed, "skip_words"):
            return replace(draft, url=None), Step.PREVIEW
        case Step.LINK:
            return replace(draft, url=service.check_link(typed)), Step.PREVIEW
        case Step.PREVIEW:
            return draft, Step.PREVIEW


@router.step(*Step, access=PARTNERS)
async def typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """An answer typed at any step; at the preview, the preview again."""
    found = current(ctx)
    if found is None:
        return stale(ctx)
    step, draft = found
    try:
        changed, following = await take(ctx, step, draft, event.text)
    except OfferError as problem:
        return await ask_again(ctx, step, draft, problem)
    return await ask(ctx, following, changed)


async def at(ctx: Context, step: Step) -> Draft | list[Reply]:
    """The draft, when the sender is at `step`; else what to say (stale, or where they are)."""
    found = current(ctx)
    if found is None:
        return stale(ctx)
    return found[1] if found[0] is step else await ask(ctx, *found)


async def toggle(
    ctx: Context, step: Step, items: Sequence[Domain | Organisation], item_id: int
) -> list[Reply]:
    """A domain or city button: ticked or unticked, the same question again."""
    draft = await at(ctx, step)
    if not isinstance(draft, Draft):
        return draft
    order = [item.slug for item in items]
    slug = next((item.slug for item in items if item.id == item_id), None)
    if slug is not None and step is Step.DOMAINS:
        draft = replace(draft, domains=toggled(draft.domains, slug, order))
    elif slug is not None:
        draft = replace(draft, targets=toggled(draft.targets, slug, order))
    return await ask(ctx, step, draft)


@router.choice(DomainToggled, access=PARTNERS)
async def domain_toggled(pressed: DomainToggled, ctx: Context) -> list[Reply]:
    """A domain button."""
    domains = await list_domains(session=ctx.session)
    return await toggle(ctx, Step.DOMAINS, domains, pressed.domain_id)


@router.choice(CityToggled, access=PARTNERS)
async def city_toggled(pressed: CityToggled, ctx: Context) -> list[Reply]:
    """A city button."""
    return await toggle(ctx, Step.CITIES, await cities(ctx), pressed.organisation_id)


@router.choice(KindPicked, access=PARTNERS)
async def kind_picked(pressed: KindPicked, ctx: Context) -> list[Reply]:
    """A kind button, then the cities."""
    draft = await at(ctx, Step.KIND)
    if not isinstance(draft, Draft):
        return draft
    return await ask(ctx, Step.TARGETS, replace(draft, kind=pressed.kind))


@router.choice(FlowPressed, access=FLOW_PEOPLE)
async def flow_pressed(pressed: FlowPressed, ctx: Context) -> list[Reply]:
    """Done, All or Choose cities, More, Skip, Keep, Edit, Confirm or Cancel."""
    if pressed.act is Act.CANCEL:
        return await cancel(ctx)
    found = current(ctx)
    if found is None:
        return stale(ctx)
    step, draft = found
    if pressed.act is Act.CONFIRM and step is Step.PREVIEW:
        return await confirm(ctx, draft)
    if pressed.act is Act.KEEP and step in KEEPS:
        return await ask(ctx, KEEPS[step], draft)
    if pressed.act not in MOVES or step not in MOVES[pressed.act][0]:
        return await ask(ctx, step, draft)  # a button of another step: where we are, again
    following = MOVES[pressed.act][1]
    match pressed.act:
        case Act.DOMAINS_DONE if not draft.domains:
            return await ask_again(ctx, step, draft, OfferError("no_domain"))
        case Act.CITIES_DONE if not draft.targets:
            return await ask_again(ctx, step, draft, OfferError("no_city"))
        case Act.CITIES_DONE:
            draft = replace(draft, targets_all=False)
        case Act.ALL_CITIES:
            draft = replace(draft, targets_all=True, targets=())
        case Act.MORE_CITIES:
            draft = replace(draft, page=draft.page + 1)
        case Act.SKIP_LINK:
            draft = replace(draft, url=None)
    return await ask(ctx, following, draft)


async def cancel(ctx: Context) -> list[Reply]:
    """Cancel the offer being written, or a rejection's reason."""
    if ctx.state.at(Review.REASON):
        await ctx.state.clear()
        return [Text(text=ctx.t("offers.review_abandoned"))]
    if current(ctx) is None:
        return stale(ctx)
    await ctx.state.clear()
    return [Text(text=ctx.t("offers.cancelled"))]


async def confirm(ctx: Context, draft: Draft) -> list[Reply]:
    """Store the offer, PENDING depa's review; the firm told so."""
    offer = draft.offer()
    if offer is None:
        return await ask(ctx, Step.DOMAINS, draft)
    try:
        info = await service.create_offer(
            session=ctx.session,
            author=ctx.registered,
            offer=offer,
            now=ctx.now,
            outreach=outreach(ctx),
        )
    except OfferError as problem:
        return [views.error(ctx, problem), *await preview(ctx, draft)]
    await ctx.state.clear()
    return [views.sent(ctx, info)]


# --- depa's review -------------------------------------------------------------------------------


@router.command("offers", access=DEPA_STAFF)
@router.command("offers", sub="pending", access=DEPA_STAFF)
async def pending(_event: Event, ctx: Context) -> list[Reply]:
    """`/offers` or `/offers pending`: the offers waiting, Approve and Reject on each."""
    return [views.pending(ctx, await service.pending_offers(session=ctx.session))]


@router.command("offers", access=NOT_DEPA)
@router.command("offers", sub="pending", access=NOT_DEPA)
@router.command("offers", sub="approve", access=NOT_DEPA)
@router.command("offers", sub="reject", access=NOT_DEPA)
async def not_depa(_event: Event, ctx: Context) -> list[Reply]:
    """Only depa's staff review offers."""
    return [Text(text=ctx.t("offers.depa_only"))]


def offer_id(typed: str) -> int:
    """ "12" or "#12"; OfferError `unknown_offer` for anything else."""
    wanted = typed.strip().removeprefix("#")
    if not wanted.isdecimal() or len(wanted) > 18:
        raise OfferError("unknown_offer", id=typed.strip()[:20] or "?")
    return int(wanted)


async def approve(ctx: Context, typed_id: str | int) -> list[Reply]:
    """Publish the offer; its firm and matching cities hear."""
    try:
        chosen = typed_id if isinstance(typed_id, int) else offer_id(typed_id)
        publication = await service.approve_offer(
            session=ctx.session,
            offer_id=chosen,
            reviewer=ctx.registered,
            now=ctx.now,
            outreach=outreach(ctx),
        )
    except OfferError as problem:
        return [views.error(ctx, problem)]
    return [views.approved(ctx, publication)]


async def reject(ctx: Context, offer: int, reason: str) -> list[Reply]:
    """Turn the offer down with `reason`; its firm hears why."""
    try:
        info = await service.reject_offer(
            session=ctx.session,
            offer_id=offer,
            reviewer=ctx.registered,
            reason=reason,
            now=ctx.now,
            outreach=outreach(ctx),
        )
    except OfferError as problem:
        return [views.error(ctx, problem)]
    return [views.rejected(ctx, info)]


@router.command("offers", sub="approve", access=DEPA_STAFF)
async def approve_typed(_event: Event, ctx: Context) -> list[Reply]:
    """`/offers approve 12`."""
    return await approve(ctx, ctx.args)


@router.command("offers", sub="reject", access=DEPA_STAFF)
async def reject_typed(_event: Event, ctx: Context) -> list[Reply]:
    """`/offers reject 12 REASON`: the reason is required."""
    typed_id, _, reason = ctx.args.strip().partition(" ")
    try:
        chosen = offer_id(typed_id)
    except OfferError as problem:
        return [views.error(ctx, problem)]
    return await reject(ctx, chosen, reason)


@router.choice(Reviewed, access=DEPA_STAFF)
async def reviewed(pressed: Reviewed, ctx: Context) -> list[Reply]:
    """Approve publishes at once; Reject asks for the reason first."""
    if pressed.approve:
        return await approve(ctx, pressed.offer_id)
    try:
        offer = await service.pending_review(session=ctx.session, offer_id=pressed.offer_id)
    except OfferError as problem:
        return [views.error(ctx, problem)]
    await ctx.state.go(Review.REASON, {"offer_id": offer.id}, ttl=FLOW_TTL)
    (info,) = await offer_infos(session=ctx.session, offer_ids=[offer.id])
    return [views.ask_reason(ctx, info)]


@router.step(Review.REASON, access=DEPA_STAFF)
async def reason_typed(event: TextReceived, ctx: Context) -> list[Reply]:
    """The reason for the Reject pressed: the offer is turned down."""
    chosen = ctx.state.data.get("offer_id")
    await ctx.state.clear()
    if not isinstance(chosen, int):
        return stale(ctx)
    return await reject(ctx, chosen, event.text)


# --- the firm's own offers -----------------------------------------------------------------------


@router.command("myoffers", access=PARTNERS)
async def my_offers(_event: Event, ctx: Context) -> list[Reply]:
    """`/myoffers`: the firm's offers with views, interests and introductions; Close buttons."""
    organisation_id = ctx.registered.organisation_id
    offers = await service.firm_offers(session=ctx.session, organisation_id=organisation_id)
    return [views.mine(ctx, offers)]


async def close(ctx: Context, typed_id: str | int) -> list[Reply]:
    """Close one of the firm's own offers."""
    try:
        chosen = typed_id if isinstance(typed_id, int) else offer_id(typed_id)
        info = await service.close_offer(
            session=ctx.session, offer_id=chosen, member=ctx.registered, now=ctx.now
        )
    except OfferError as problem:
        return [views.error(ctx, problem)]
    return [views.closed(ctx, info)]


@router.command("myoffers", sub="close", access=PARTNERS)
async def close_typed(_event: Event, ctx: Context) -> list[Reply]:
    """`/myoffers close 12`."""
    return await close(ctx, ctx.args)


@router.choice(CloseOffer, access=PARTNERS)
async def close_pressed(pressed: CloseOffer, ctx: Context) -> list[Reply]:
    """A Close button of `/myoffers`."""
    return await close(ctx, pressed.offer_id)
