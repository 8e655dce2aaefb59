"""Issue 14's reads as offers grow: a page of `/partners energy` and a Thai search.

A fresh database gets the content (14 cities, 7 domains), a partner firm, one city officer and,
written in bulk, 10 or 100 open offers spread over the domains (as many again pending or closed,
which browsing must skip), each in one or two domains, Thai and English titles in turn. Then,
in this process and timed call by call with their SQL statements counted by a
`before_cursor_execute` listener, on sessions of one long-lived engine: what `/partners energy`
does for the officer (`browse_offers` for the first page, then `record_views`, committed) and
what `/partners พลังงานแสงอาทิตย์` does (`search_offers`, its index built at the warm-up and
checked against the offers' version on every call, then `record_views`). Neither should send more
statements as offers grow.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from bench.broadcast import seeded
from bench.databases import empty_database
from bench.progress import CALLS, Statements, _timed, measured
from bench.report import Table, seconds
from db.base import utcnow
from db.enums import OfferStatus, OrganisationKind, Role
from db.models import (
    Domain,
    Member,
    OfferDomain,
    Organisation,
    PartnershipOffer,
)
from db.session import create_engine, create_session_factory
from handlers.partners import service
from tests.factories import add_members_in_bulk, line

SCALES = (10, 100)  # open offers
QUERY = "พลังงานแสงอาทิตย์"
TITLES = (
    "ระบบพลังงานแสงอาทิตย์บนหลังคาอาคาร {n}",
    "Smart street lighting pilot {n}",
    "รถโดยสารไฟฟ้าพร้อมแอปติดตาม {n}",
    "Air quality sensor network {n}",
    "แพลตฟอร์มข้อมูลเมืองแบบเปิด {n}",
)


@dataclass(frozen=True)
class Seeded:
    """Who browses, and where."""

    member_id: int
    energy_id: int


def _seed(url: str, offers: int) -> Seeded:
    """The content, a firm, an officer of the first city, `offers` open offers and as many not."""
    seeded(url)
    return asyncio.run(_offers(url, offers))


async def _offers(url: str, count: int) -> Seeded:
    engine = create_engine(url)
    now = utcnow()
    try:
        async with create_session_factory(engine)() as session, session.begin():
            firm = Organisation(
                slug="bench-firm", kind=OrganisationKind.PARTNER, name_th="บริษัท", name_en="Firm"
            )
            session.add(firm)
            await session.flush()
            city = await session.scalar(
                select(Organisation)
                .where(Organisation.kind == OrganisationKind.CITY)
                .order_by(Organisation.id)
            )
            assert city is not None
            (member_id,) = await add_members_in_bulk(
                session, city.slug, Role.OFFICER, [line("bench-officer")]
            )
            domains = list(await session.scalars(select(Domain.id).order_by(Domain.position)))
            statuses = (OfferStatus.OPEN, OfferStatus.PENDING, OfferStatus.CLOSED)
            rows = [
                {
                    "organisation_id": firm.id,
                    "title": TITLES[n % len(TITLES)].format(n=n),
                    "description": f"{TITLES[(n + 1) % len(TITLES)].format(n=n)} · เมืองอัจฉริยะ",
                    "status": status,
                    "published_at": now - timedelta(minutes=n),
                }
                for n in range(2 * count)
                for status in [statuses[0] if n < count else statuses[1 + n % 2]]
            ]
            ids = list(
                await session.scalars(
                    insert(PartnershipOffer).returning(PartnershipOffer.id), rows
                )
            )
            links = [
                {"offer_id": offer_id, "domain_id": domains[(n + k) % len(domains)]}
                for n, offer_id in enumerate(ids)
                for k in range(1 + n % 2)
            ]
            await session.execute(insert(OfferDomain), links)
            energy = await session.scalar(select(Domain.id).where(Domain.slug == "energy"))
            assert energy is not None
            return Seeded(member_id, energy)
    finally:
        await engine.dispose()


@contextlib.contextmanager
def _calls(url: str, data: Seeded) -> Iterator[tuple[Callable[[], Any], Callable[[], Any]]]:
    """The browse and search calls on one long-lived engine, each in its own transaction."""
    loop = asyncio.new_event_loop()
    engine = create_engine(url)
    sessions = create_session_factory(engine)

    async def browse() -> service.OfferPage:
        async with sessions() as session, session.begin():
            member = await session.get_one(Member, data.member_id)
            domain = await session.get_one(Domain, data.energy_id)
            page = await service.browse_offers(session=session, domain=domain, page=0)
            await service.record_views(
                session=session, member=member, offers=page.offers, now=utcnow()
            )
            return page

    async def search() -> list[service.OfferInfo]:
        async with sessions() as session, session.begin():
            member = await session.get_one(Member, data.member_id)
            found = await service.search_offers(session=session, query=QUERY)
            await service.record_views(session=session, member=member, offers=found, now=utcnow())
            return found

    try:
        yield (
            lambda: loop.run_until_complete(browse()),
            lambda: loop.run_until_complete(search()),
        )
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


def _measure(kind: str, statements: Statements) -> list[list[str]]:
    """Both scales on `kind`, browse then search, call by call in turn."""
    with contextlib.ExitStack() as stack:
        urls = {scale: stack.enter_context(empty_database(kind)) for scale in SCALES}
        data = {scale: _seed(url, scale) for scale, url in urls.items()}
        calls = {scale: stack.enter_context(_calls(urls[scale], data[scale])) for scale in SCALES}
        browsed = _timed({s: c[0] for s, c in calls.items()}, statements, CALLS)
        # The index is one process-wide cache, as in the bot: each call's version check finds
        # the other database's offers, so the scales take turns whole, not call by call.
        searched = {s: _timed({s: calls[s][1]}, statements, CALLS)[s] for s in SCALES}
    rows = []
    for scale in SCALES:
        size = f"{scale} open offers (+{scale} pending or closed)"
        took, sql, page = browsed[scale]
        shown = f"{len(page.offers)} cards, more: {'yes' if page.more else 'no'}"
        rows.append(
            [kind, size, "`/partners energy` (page 1, views)", seconds(took), str(sql), shown]
        )
        took, sql, found = searched[scale]
        rows.append(
            [
                kind,
                size,
                f"`/partners {QUERY}` (views)",
                seconds(took),
                str(sql),
                f"{len(found)} cards",
            ]
        )
    return rows  # fmt: skip


def run() -> Table:
    """Each database kind, each number of offers: a browse page and a search."""
    notes: list[str] = []
    rows = measured(_measure, notes)
    return Table(
        title="Browsing and searching partnership offers as they grow",
        method=(
            "A fresh database (SQLite file; PostgreSQL database created for the run) with the "
            "content's 14 cities and 7 domains, a partner firm, one city officer and, written in "
            "bulk, 10 or 100 open offers over the domains (one or two each) and as many pending "
            "or closed. On sessions of one long-lived engine, each call its own transaction: "
            "`handlers.partners.service.browse_offers` (energy, first page) then `record_views` "
            f"for the officer, and `search_offers` for “{QUERY}” then `record_views`; median of "
            f"{CALLS} calls after a warm-up (which builds the search index); SQL statements "
            "counted per call by a SQLAlchemy `before_cursor_execute` listener (the most any "
            "call sent)."
        ),
        columns=["database", "data", "call", "time per call", "SQL statements per call", "output"],
        rows=rows,
        notes=[
            *notes,
            "The statements per call are the same at both scales: browsing reads the member and "
            "domain, one page of ids (one more than a page, to know whether More is needed), the "
            "offers with their firm and their domains, and inserts the views ignoring those "
            "already recorded; a search reads the offers' version (one aggregate), then the hits "
            "with firm and domains, and the views. The index is rebuilt only when the version "
            "changes (an offer added, edited, published or closed).",
        ],
    )
