"""Offers in chat: each step's question, the preview, depa's review list, the firm's own list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.core.context import Context
from bot.core.replies import Button, Cards, Choice, Choices, Reply, Text
from db.enums import OfferKind
from db.models import Domain, Organisation
from db.repositories.offers import OfferInfo
from handlers.offers.draft import CITIES_PAGE, Draft
from handlers.offers.notices import review_card
from handlers.offers.payloads import (
    Act,
    CityToggled,
    CloseOffer,
    DomainToggled,
    FlowPressed,
    KindPicked,
)
from handlers.offers.service import (
    CLOSABLE,
    DESCRIPTION_CHARS,
    TITLE_CHARS,
    OfferError,
    OfferSummary,
    Publication,
)
from handlers.partners.cards import offer_card

SHOWN = 10  # offers a list shows (a carousel's most cards)


def error(ctx: Context, problem: OfferError) -> Text:
    """Why an offer, a step, a review or a closing was refused, in the member's language."""
    details = dict(problem.details)
    if "status" in details:
        details["status"] = ctx.t(f"offers.statuses.{details['status']}")
    return Text(text=ctx.t(f"offers.errors.{problem.reason}", **details))


def button(ctx: Context, key: str, act: Act) -> Choice:
    """A flow button labelled `offers.<key>`."""
    return Choice(label=ctx.t(f"offers.{key}"), payload=FlowPressed(act).pack())


def ticked(ctx: Context, item: Domain | Organisation, chosen: Sequence[str]) -> str:
    """An item's name, ticked when chosen."""
    name = ctx.local(item, "name")
    return f"✓ {name}" if item.slug in chosen else name


def chosen_names(
    ctx: Context, items: Sequence[Domain | Organisation], chosen: Sequence[str]
) -> str:
    """The names of the chosen items, or "none yet"."""
    names = [ctx.local(item, "name") for item in items if item.slug in chosen]
    return ", ".join(names) or ctx.t("offers.none_chosen")


def numbered(ctx: Context, items: Sequence[Domain | Organisation]) -> list[str]:
    """ "1. Smart Environment": what may be typed for each item."""
    return [f"{number}. {ctx.local(item, 'name')}" for number, item in enumerate(items, start=1)]


def ask_domains(ctx: Context, draft: Draft, domains: Sequence[Domain]) -> Choices:
    """Which domains: a button each (ticked when chosen) and Done; numbers or names typed."""
    lines = [
        ctx.t("offers.ask_domains"),
        *numbered(ctx, domains),
        ctx.t("offers.chosen", items=chosen_names(ctx, domains, draft.domains)),
    ]
    options = tuple(
        Choice(label=ticked(ctx, domain, draft.domains), payload=DomainToggled(domain.id).pack())
        for domain in domains
    )
    return Choices(
        text="\n".join(lines), options=(*options, button(ctx, "done", Act.DOMAINS_DONE))
    )


def ask_words(ctx: Context, key: str, current: str | None, **params: object) -> Choices:
    """A question typed text answers (`offers.<key>`); after Edit, Keep the current answer."""
    text = ctx.t(f"offers.{key}", **params)
    options = [button(ctx, "cancel", Act.CANCEL)]
    if current is not None:
        text += "\n" + ctx.t("offers.current", value=current)
        options.insert(0, button(ctx, "keep", Act.KEEP))
    return Choices(text=text, options=tuple(options))


def ask_title(ctx: Context, draft: Draft) -> Choices:
    """The title, up to TITLE_CHARS."""
    return ask_words(ctx, "ask_title", draft.title, limit=TITLE_CHARS)


def ask_description(ctx: Context, draft: Draft) -> Choices:
    """The description, up to DESCRIPTION_CHARS."""
    return ask_words(ctx, "ask_description", draft.description, limit=DESCRIPTION_CHARS)


def ask_kind(ctx: Context, draft: Draft) -> Choices:
    """What kind of offer: a button each (the draft's ticked)."""
    options = tuple(
        Choice(
            label=("✓ " if kind is draft.kind else "") + ctx.t(f"partners.kinds.{kind.value}"),
            payload=KindPicked(kind).pack(),
        )
        for kind in OfferKind
    )
    return Choices(
        text=ctx.t("offers.ask_kind"), options=(*options, button(ctx, "cancel", Act.CANCEL))
    )


def ask_targets(ctx: Context, domains: Sequence[Domain], draft: Draft) -> Choices:
    """All the cities of the offer's domains, or chosen cities as well."""
    names = chosen_names(ctx, domains, draft.domains)
    return Choices(
        text=ctx.t("offers.ask_targets", domains=names),
        options=(
            button(ctx, "all_cities", Act.ALL_CITIES),
            button(ctx, "choose_cities", Act.CHOOSE_CITIES),
            button(ctx, "cancel", Act.CANCEL),
        ),
    )


def ask_cities(ctx: Context, draft: Draft, cities: Sequence[Organisation]) -> Choices:
    """Every city numbered in the text; a page of them as buttons, More, Done."""
    lines = [
        ctx.t("offers.ask_cities"),
        *numbered(ctx, cities),
        ctx.t("offers.chosen", items=chosen_names(ctx, cities, draft.targets)),
    ]
    pages = max(1, -(-len(cities) // CITIES_PAGE))
    start = (draft.page % pages) * CITIES_PAGE
    options = [
        Choice(label=ticked(ctx, city, draft.targets), payload=CityToggled(city.id).pack())
        for city in cities[start : start + CITIES_PAGE]
    ]
    if len(cities) > CITIES_PAGE:
        options.append(button(ctx, "more_cities", Act.MORE_CITIES))
    options.append(button(ctx, "done", Act.CITIES_DONE))
    return Choices(text="\n".join(lines), options=tuple(options))


def ask_link(ctx: Context, draft: Draft) -> Choices:
    """A link with the details, or Skip."""
    question = ask_words(ctx, "ask_link", draft.url)
    return replace(question, options=(button(ctx, "skip", Act.SKIP_LINK), *question.options))


def targets_text(
    ctx: Context, draft: Draft, domains: Sequence[Domain], cities: Sequence[Organisation]
) -> str:
    """Who will hear of the offer: the cities of its domains, and those it names."""
    in_domains = chosen_names(ctx, domains, draft.domains)
    if draft.targets_all:
        return ctx.t("offers.targets_all", domains=in_domains)
    named = chosen_names(ctx, cities, draft.targets)
    return ctx.t("offers.targets_named", domains=in_domains, cities=named)


def preview(ctx: Context, info: OfferInfo, targets: str) -> list[Reply]:
    """The offer's card as cities will see it; who hears of it; Confirm, Edit, Cancel."""
    card = offer_card(ctx.t, info, interest_button=False)
    link = info.offer.url or ctx.t("offers.no_link")
    question = Choices(
        text=ctx.t(
            "offers.preview",
            targets=targets,
            link=link,
            count=len(info.offer.description),
            limit=DESCRIPTION_CHARS,
        ),
        options=(
            button(ctx, "confirm", Act.CONFIRM),
            button(ctx, "edit", Act.EDIT),
            button(ctx, "cancel", Act.CANCEL),
        ),
    )
    return [Cards(text=ctx.t("offers.preview_head"), cards=(card,)), question]


def sent(ctx: Context, info: OfferInfo) -> Text:
    """The offer is stored and waits for depa."""
    return Text(text=ctx.t("offers.sent", id=info.id, title=info.offer.title))


def pending(ctx: Context, infos: Sequence[OfferInfo]) -> Reply:
    """depa: the offers waiting for review, oldest first, with Approve and Reject."""
    if not infos:
        return Text(text=ctx.t("offers.pending_none"))
    text = ctx.t("offers.pending_head", count=len(infos))
    if len(infos) > SHOWN:
        text += "\n" + ctx.t("offers.pending_more", count=len(infos) - SHOWN)
    cards = tuple(review_card(ctx.t, info) for info in infos[:SHOWN])
    return Cards(text=text + "\n" + ctx.t("offers.usage"), cards=cards)


def ask_reason(ctx: Context, info: OfferInfo) -> Choices:
    """depa pressed Reject: the reason, typed."""
    text = ctx.t("offers.ask_reason", id=info.id, title=info.offer.title)
    return Choices(text=text, options=(button(ctx, "cancel", Act.CANCEL),))


def approved(ctx: Context, publication: Publication) -> Text:
    """depa: published, and to how many cities and people."""
    cities = ", ".join(ctx.local(city, "name") for city in publication.cities)
    return Text(
        text=ctx.t(
            "offers.approved",
            id=publication.info.id,
            count=len(publication.cities),
            cities=cities or ctx.t("offers.none_chosen"),
            queued=publication.queued,
        )
    )


def rejected(ctx: Context, info: OfferInfo) -> Text:
    """depa: turned down, the firm told."""
    return Text(text=ctx.t("offers.rejected", id=info.id))


def mine(ctx: Context, offers: Sequence[OfferSummary]) -> Reply:
    """A firm's offers, newest first: status and counts, Close on those still pending or open."""
    if not offers:
        return Text(text=ctx.t("offers.mine_none"))
    cards = []
    for summary in offers[:SHOWN]:
        info, counts = summary.info, summary.counts
        card = offer_card(ctx.t, info, interest_button=False)
        line = ctx.t(
            "offers.mine_line",
            id=info.id,
            status=ctx.t(f"offers.statuses.{info.status.value}"),
            views=counts.views,
            interests=counts.interests,
            introduced=counts.introduced,
        )
        buttons = card.buttons
        if info.status in CLOSABLE:
            close = Button(label=ctx.t("offers.close"), payload=CloseOffer(info.id).pack())
            buttons = (close, *buttons)
        cards.append(replace(card, subtitle=f"{line}\n{card.subtitle}", buttons=buttons))
    text = ctx.t("offers.mine_head", count=len(offers))
    if len(offers) > SHOWN:
        text += "\n" + ctx.t("offers.mine_more", count=len(offers) - SHOWN)
    return Cards(text=text, cards=tuple(cards))


def closed(ctx: Context, info: OfferInfo) -> Text:
    """The firm closed its offer."""
    return Text(text=ctx.t("offers.closed", id=info.id, title=info.offer.title))
