"""The partnership chat replies: the domain picker, pages of offer cards, the answers to
Interested and to an introduction, and the refusals."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.replies import MAX_CHOICES, Cards, Choice, Choices, Reply, Text
from bot.core.texts import shorten
from db.models import Domain
from db.repositories.interests import InterestRow
from db.repositories.offers import OfferInfo
from handlers.partners.cards import offer_card
from handlers.partners.notices import about, contact_card
from handlers.partners.payloads import Introduce, OffersPage
from handlers.partners.rules import PartnersError
from handlers.partners.service import PAGE_SIZE, Answer, InterestMade, OfferPage

ALL = "all"  # the picker's "every domain"
QUERY_CHARS = 60


def domain_picker(ctx: Context, text: str, domains: list[Domain]) -> Choices:
    """The domains as buttons, and All."""
    options = [
        Choice(label=ctx.local(d, "name"), payload=OffersPage(d.slug).pack()) for d in domains
    ]
    options.append(Choice(label=ctx.t("partners.browse.all"), payload=OffersPage(ALL).pack()))
    return Choices(text=text, options=tuple(options[:MAX_CHOICES]))


def cards(ctx: Context, heading: str, offers: list[OfferInfo], *, interest: bool) -> Cards:
    """Offer cards under a heading; the Interested button for city members only."""
    return Cards(
        text=heading,
        cards=tuple(offer_card(ctx.t, info, interest_button=interest) for info in offers),
    )


def offer_page(ctx: Context, page: OfferPage, *, interest: bool) -> list[Reply]:
    """A page of a domain's (or every) open offers, newest first, and More if more follow."""
    domain = ctx.local(page.domain, "name") if page.domain else ctx.t("partners.browse.all")
    if not page.offers:
        return [Text(text=ctx.t("partners.browse.empty", domain=domain))]
    first = page.page * PAGE_SIZE + 1
    heading = ctx.t(
        "partners.browse.heading", domain=domain, first=first, last=first + len(page.offers) - 1
    )
    said: list[Reply] = [cards(ctx, heading, page.offers, interest=interest)]
    if page.more:
        slug = page.domain.slug if page.domain else ALL
        more = Choice(
            label=ctx.t("partners.browse.more"), payload=OffersPage(slug, page.page + 1).pack()
        )
        said.append(Choices(text=ctx.t("partners.browse.more_question"), options=(more,)))
    return said


def hits(ctx: Context, query: str, offers: list[OfferInfo], *, interest: bool) -> Cards:
    """The offers a search found, best first."""
    heading = ctx.t("partners.search.hits", query=shorten(query, QUERY_CHARS), count=len(offers))
    return cards(ctx, heading, offers, interest=interest)


def interested(ctx: Context, made: InterestMade) -> Choices:
    """Noted: the firm and depa were told; ask depa to introduce us?"""
    text = ctx.t(
        "partners.interest.noted",
        offer=shorten(made.offer.offer.title, 80),
        firm=ctx.local(made.offer.firm, "name"),
    )
    ask = Choice(
        label=ctx.t("partners.interest.ask_intro"), payload=Introduce(made.interest_id).pack()
    )
    return Choices(text=text, options=(ask,))


def intro_requested(ctx: Context, row: InterestRow) -> Text:
    """Both sides were asked."""
    return Text(text=ctx.t("partners.intro.requested", **about(ctx.t, row)))


def open_introductions(ctx: Context, rows: list[InterestRow]) -> Reply:
    """depa: the interests waiting for an introduction, each with its button."""
    if not rows:
        return Text(text=ctx.t("partners.intro.none_waiting"))
    lines = [ctx.t("partners.intro.waiting")]
    options = []
    for row in rows[:MAX_CHOICES]:
        status = ctx.t(f"partners.intro.status.{row.interest.status.value}")
        lines.append(
            f"#{row.interest.id} · {ctx.t('partners.intro.line', **about(ctx.t, row))} · {status}"
        )
        options.append(
            Choice(label=f"#{row.interest.id}", payload=Introduce(row.interest.id).pack())
        )
    return Choices(text="\n".join(lines), options=tuple(options))


def ask_contact(ctx: Context, row: InterestRow) -> Text:
    """Type a phone number, e-mail or chat handle to share."""
    return Text(text=ctx.t("partners.intro.ask_contact", **about(ctx.t, row)))


def answered(ctx: Context, answer: Answer) -> list[Reply]:
    """Declined; shared and waiting for the other side; or introduced, with their card."""
    if not answer.consent.agreed:
        return [Text(text=ctx.t("partners.intro.you_declined"))]
    if answer.introduced and answer.other is not None:
        text = ctx.t("partners.intro.introduced", **about(ctx.t, answer.row))
        return [Text(text=text), contact_card(ctx.t, answer.other)]
    return [Text(text=ctx.t("partners.intro.shared_waiting", **about(ctx.t, answer.row)))]


def error(ctx: Context, problem: PartnersError) -> Text:
    """Why it cannot be done."""
    details = dict(problem.details)
    since = details.get("since")
    if since is not None:
        details["since"] = ctx.day(since)  # type: ignore[arg-type]
    return Text(text=ctx.t(f"partners.errors.{problem.reason}", **details))
