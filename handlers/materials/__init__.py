"""Workshop materials: browse by session or domain, search in Thai or English, cards with links.

The feature's router: routes and who may use them. Use cases are in `service.py`, replies in
`views.py`. The materials last shown are remembered for half an hour, so typing a number (as
after Telegram's and the console's numbered lists) opens that one.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from bot.core.authz import MEMBERS
from bot.core.context import Context
from bot.core.events import Event, TextReceived
from bot.core.replies import MAX_CARDS, Reply, Text
from bot.core.router import Router
from bot.core.texts import shorten
from db.models import Domain, Material, WorkshopSession
from handlers.materials import service, views
from handlers.materials.payloads import Browse, BrowseBy, DomainPage, SessionPage

router = Router("materials")

RESULTS_TTL = timedelta(minutes=30)
QUERY_CHARS = 60


class Materials(StrEnum):
    """Not a flow: the materials just shown, so a typed number can open one."""

    SHOWN = "materials.shown"


async def show(
    ctx: Context,
    materials: list[Material],
    heading: str,
    more: SessionPage | DomainPage | None = None,
) -> list[Reply]:
    """A page of cards, remembered so that their numbers can be typed."""
    if not materials:
        return [Text(text=ctx.t("materials.empty"))]
    await ctx.state.go(
        Materials.SHOWN, {"ids": [m.id for m in materials[:MAX_CARDS]]}, ttl=RESULTS_TTL
    )
    domains = await service.domain_names(session=ctx.session)
    return views.material_cards(ctx, materials, domains, heading, more)


async def search(ctx: Context, query: str) -> list[Reply]:
    """Ranked hits as cards; no hit → the domains to browse instead."""
    found = await service.search(session=ctx.session, query=query, limit=MAX_CARDS)
    shown = shorten(query, QUERY_CHARS)
    if not found:
        domains = await service.domains(session=ctx.session)
        return [views.domain_choices(ctx, ctx.t("materials.no_hits", query=shown), domains)]
    return await show(ctx, found, ctx.t("materials.hits", query=shown, count=len(found)))


@router.command("materials", "material", access=MEMBERS)
async def materials(_event: Event, ctx: Context) -> list[Reply]:
    """`/materials [words]`: search, or browse."""
    if ctx.args.strip():
        return await search(ctx, ctx.args)
    return [views.browse_choices(ctx)]


@router.choice(BrowseBy, access=MEMBERS)
async def browse_by(chosen: BrowseBy, ctx: Context) -> list[Reply]:
    """The sessions or the domains to pick from."""
    if chosen.by is Browse.DOMAINS:
        domains = await service.domains(session=ctx.session)
        return [views.domain_choices(ctx, ctx.t("materials.pick_domain"), domains)]
    sessions = await service.sessions(session=ctx.session)
    if not sessions:
        return [Text(text=ctx.t("materials.empty"))]
    return [views.session_choices(ctx, sessions)]


async def show_page(
    ctx: Context,
    found: tuple[WorkshopSession | Domain, list[Material]] | None,
    heading: str,
    page: int,
    more: SessionPage | DomainPage,
) -> list[Reply]:
    """Page `page` of a session's or domain's materials, headed by its `heading` field."""
    if found is None:
        return [Text(text=ctx.t("materials.empty"))]
    subject, items = found
    return await show(ctx, items[page * MAX_CARDS :], ctx.local(subject, heading), more)


@router.choice(SessionPage, access=MEMBERS)
async def session_page(chosen: SessionPage, ctx: Context) -> list[Reply]:
    """A page of one workshop session's materials."""
    found = await service.of_session(session=ctx.session, session_id=chosen.session_id)
    more = SessionPage(chosen.session_id, chosen.page + 1)
    return await show_page(ctx, found, "title", chosen.page, more)


@router.choice(DomainPage, access=MEMBERS)
async def domain_page(chosen: DomainPage, ctx: Context) -> list[Reply]:
    """A page of one domain's materials."""
    found = await service.of_domain(session=ctx.session, slug=chosen.slug)
    return await show_page(
        ctx, found, "name", chosen.page, DomainPage(chosen.slug, chosen.page + 1)
    )


def is_result_number(text: str) -> bool:
    """A number that could pick one of the cards shown (1 to MAX_CARDS)."""
    stripped = text.strip()
    return stripped.isdigit() and 1 <= int(stripped) <= MAX_CARDS


@router.text(is_result_number, access=MEMBERS)
async def result_number(event: TextReceived, ctx: Context) -> list[Reply]:
    """`2` after a list of materials opens the second; with no list shown, says how to find one."""
    ids = ctx.state.data.get("ids") if ctx.state.at(Materials.SHOWN) else None
    number = int(event.text.strip())
    if not isinstance(ids, list) or number > len(ids):
        return [views.browse_choices(ctx)]
    found = await service.materials_by_ids(session=ctx.session, ids=[ids[number - 1]])
    if not found:
        return [Text(text=ctx.t("materials.empty"))]
    domains = await service.domain_names(session=ctx.session)
    return [views.opened(ctx, found[0], domains)]
