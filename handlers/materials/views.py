"""The materials' chat replies: cards with links, browse pickers, paging."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.replies import (
    MAX_CARDS,
    MAX_CHOICES,
    Button,
    Card,
    Cards,
    Choice,
    Choices,
    Link,
    Reply,
)
from bot.core.texts import shorten
from db.models import Domain, Material, Workshop, WorkshopSession
from handlers.materials.payloads import Browse, BrowseBy, DomainPage, SessionPage

SUMMARY_CHARS = 120


def material_card(ctx: Context, material: Material, domains: dict[int, Domain]) -> Card:
    """A material as a card: title, summary and domain, a button that opens it."""
    domain = domains.get(material.domain_id) if material.domain_id else None
    subtitle = shorten(ctx.local(material, "summary"), SUMMARY_CHARS)
    if domain is not None:
        subtitle = f"{ctx.local(domain, 'name')} · {subtitle}"
    return Card(
        title=ctx.local(material, "title"),
        subtitle=subtitle,
        link=material.url,
        buttons=(Button(label=ctx.t("materials.open"), url=material.url),),
    )


def material_cards(
    ctx: Context,
    materials: list[Material],
    domains: dict[int, Domain],
    heading: str,
    more: SessionPage | DomainPage | None = None,
) -> list[Reply]:
    """One page of cards (at most MAX_CARDS of `materials`), and a 'more' button if `more`."""
    page = materials[:MAX_CARDS]
    replies: list[Reply] = [
        Cards(text=heading, cards=tuple(material_card(ctx, m, domains) for m in page))
    ]
    if len(materials) > MAX_CARDS and more is not None:
        replies.append(
            Choices(
                text=ctx.t("materials.more_question", shown=len(page), total=len(materials)),
                options=(Choice(label=ctx.t("materials.more"), payload=more.pack()),),
            )
        )
    return replies


def browse_choices(ctx: Context) -> Choices:
    """How to find materials: by workshop session, by domain, or by typing words."""
    return Choices(
        text=ctx.t("materials.intro"),
        options=(
            Choice(label=ctx.t("materials.by_session"), payload=BrowseBy(Browse.SESSIONS).pack()),
            Choice(label=ctx.t("materials.by_domain"), payload=BrowseBy(Browse.DOMAINS).pack()),
        ),
    )


def domain_choices(ctx: Context, text: str, domains: list[Domain]) -> Choices:
    """The domains as buttons."""
    return Choices(
        text=text,
        options=tuple(
            Choice(label=ctx.local(d, "name"), payload=DomainPage(d.slug).pack())
            for d in domains[:MAX_CHOICES]
        ),
    )


def session_choices(ctx: Context, sessions: list[tuple[WorkshopSession, Workshop]]) -> Choices:
    """The workshop sessions as buttons."""
    return Choices(
        text=ctx.t("materials.pick_session"),
        options=tuple(
            Choice(label=ctx.local(s, "title"), payload=SessionPage(s.id).pack())
            for s, _workshop in sessions[:MAX_CHOICES]
        ),
    )


def opened(ctx: Context, material: Material, domains: dict[int, Domain]) -> Link:
    """One material picked by its number: its title, summary and domain, and its link."""
    card = material_card(ctx, material, domains)
    return Link(
        text=f"{card.title}\n{card.subtitle}", label=ctx.t("materials.open"), url=material.url
    )
