"""Workshop materials: browse by session or domain, search in Thai or English, cards with links."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.authz import MEMBERS
from bot.core.context import Context
from bot.core.events import Event
from bot.core.nlu import warm_up
from bot.core.replies import MAX_CARDS, Button, Card, Cards, Choice, Choices, Reply, Text
from bot.core.router import Router
from bot.core.search import Field, SearchIndex
from db.models import Domain, Material
from db.repositories.materials import (
    domains_by_id,
    get_session,
    list_materials,
    list_sessions,
    materials_version,
)
from db.repositories.organisations import get_domain, list_domains

router = Router("materials")

SUMMARY_CHARS = 120


@dataclass
class _IndexCache:
    """The search index, rebuilt only when materials change (seed, edits)."""

    version: str = ""
    index: SearchIndex[int] | None = None


_cache = _IndexCache()


async def material_index(ctx: Context) -> SearchIndex[int]:
    """The index over every material's titles, summaries, tags and domain names."""
    await warm_up()  # the first search loads the Thai tokenizer off the event loop
    version = await materials_version(session=ctx.session)
    if _cache.index is None or _cache.version != version:
        domains = await domains_by_id(session=ctx.session)
        materials = await list_materials(session=ctx.session)
        _cache.index = SearchIndex((m.id, material_fields(m, domains)) for m in materials)
        _cache.version = version
    return _cache.index


def material_fields(material: Material, domains: dict[int, Domain]) -> list[Field]:
    """What a search looks at, both languages, titles and tags weighing most."""
    fields = [
        Field(material.title_th, 3.0),
        Field(material.title_en, 3.0),
        Field(" ".join(material.tags), 2.0),
        Field(material.summary_th, 1.0),
        Field(material.summary_en, 1.0),
    ]
    domain = domains.get(material.domain_id) if material.domain_id else None
    if domain is not None:
        fields += [Field(domain.name_th, 1.5), Field(domain.name_en, 1.5), Field(domain.slug, 1.5)]
    return fields


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    """A summary cut at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip() + "…"


def material_card(ctx: Context, material: Material, domains: dict[int, Domain]) -> Card:
    """A material as a card: title, summary and domain, a button that opens it."""
    domain = domains.get(material.domain_id) if material.domain_id else None
    subtitle = shorten(ctx.local(material, "summary"))
    if domain is not None:
        subtitle = f"{ctx.local(domain, 'name')} · {subtitle}"
    return Card(
        title=ctx.local(material, "title"),
        subtitle=subtitle,
        link=material.url,
        buttons=(Button(label=ctx.t("materials.open"), url=material.url),),
    )


async def material_cards(
    ctx: Context, materials: list[Material], heading: str, more_payload: str | None
) -> list[Reply]:
    """One page of cards, with a 'more' button when there are more."""
    if not materials:
        return [Text(text=ctx.t("materials.empty"))]
    domains = await domains_by_id(session=ctx.session)
    page = materials[:MAX_CARDS]
    replies: list[Reply] = [
        Cards(text=heading, cards=tuple(material_card(ctx, m, domains) for m in page))
    ]
    if len(materials) > MAX_CARDS and more_payload is not None:
        replies.append(
            Choices(
                text=ctx.t("materials.more_question", shown=len(page), total=len(materials)),
                options=(Choice(label=ctx.t("materials.more"), payload=more_payload),),
            )
        )
    return replies


def browse_choices(ctx: Context) -> Choices:
    """How to find materials: by workshop session, by domain, or by typing words."""
    return Choices(
        text=ctx.t("materials.intro"),
        options=(
            Choice(label=ctx.t("materials.by_session"), payload="mat:sessions"),
            Choice(label=ctx.t("materials.by_domain"), payload="mat:domains"),
        ),
    )


async def domain_choices(ctx: Context, text: str) -> Choices:
    """The 7 domains as buttons."""
    domains = await list_domains(session=ctx.session)
    return Choices(
        text=text,
        options=tuple(
            Choice(label=ctx.local(d, "name"), payload=f"mat:d:{d.slug}") for d in domains
        ),
    )


async def search(ctx: Context, query: str) -> list[Reply]:
    """Ranked hits as cards; no hit → the domains to browse instead."""
    index = await material_index(ctx)
    hits = index.search(query, limit=MAX_CARDS)
    if not hits:
        return [await domain_choices(ctx, ctx.t("materials.no_hits", query=shorten(query, 60)))]
    by_id = {m.id: m for m in await list_materials(session=ctx.session)}
    found = [by_id[hit.key] for hit in hits if hit.key in by_id]
    return await material_cards(
        ctx, found, ctx.t("materials.hits", query=shorten(query, 60), count=len(found)), None
    )


@router.command("materials", "material", access=MEMBERS)
async def materials(_event: Event, ctx: Context) -> list[Reply]:
    """`/materials [words]`: search, or browse."""
    if ctx.args.strip():
        return await search(ctx, ctx.args)
    return [browse_choices(ctx)]


def _page(parts: list[str]) -> int:
    return int(parts[0]) if parts and parts[0].isdigit() else 0


async def browse_page(
    ctx: Context, items: list[Material], heading: str, payload: str, page: int
) -> list[Reply]:
    """Page `page` of a session's or domain's materials; its 'more' button asks for the next."""
    return await material_cards(ctx, items[page * MAX_CARDS :], heading, f"{payload}:{page + 1}")


@router.choice("mat", access=MEMBERS)
async def materials_chosen(_event: Event, ctx: Context) -> list[Reply]:
    """Browsing buttons: `sessions`, `domains`, `s:<id>[:page]`, `d:<slug>[:page]`."""
    kind, *rest = ctx.args.split(":")
    if kind == "sessions":
        sessions = await list_sessions(session=ctx.session)
        if not sessions:
            return [Text(text=ctx.t("materials.empty"))]
        return [
            Choices(
                text=ctx.t("materials.pick_session"),
                options=tuple(
                    Choice(label=ctx.local(s, "title"), payload=f"mat:s:{s.id}")
                    for s, _workshop in sessions[:13]
                ),
            )
        ]
    if kind == "domains":
        return [await domain_choices(ctx, ctx.t("materials.pick_domain"))]
    if kind == "s" and rest and rest[0].isdigit():
        found_session = await get_session(session=ctx.session, session_id=int(rest[0]))
        if found_session is None:
            return [Text(text=ctx.t("materials.empty"))]
        items = await list_materials(session=ctx.session, session_id=found_session.id)
        heading = ctx.local(found_session, "title")
        return await browse_page(ctx, items, heading, f"mat:s:{found_session.id}", _page(rest[1:]))
    if kind == "d" and rest:
        domain = await get_domain(session=ctx.session, slug=rest[0])
        if domain is None:
            return [Text(text=ctx.t("materials.empty"))]
        items = await list_materials(session=ctx.session, domain_id=domain.id)
        heading = ctx.local(domain, "name")
        return await browse_page(ctx, items, heading, f"mat:d:{domain.slug}", _page(rest[1:]))
    return [browse_choices(ctx)]
