"""depa's dashboard as the history grows: the overview page and a city's page over HTTP.

A fresh database gets the content (14 cities × 10 milestones) and, per milestone, 20 or 200
reports written in bulk (bench/progress.py's seeding). A coordinator signs in through a link made
by `handlers.dashboard.service.issue_link`, opened through the real web app (httpx's
ASGITransport, no server); then `GET /dashboard` (heatmap, SVG charts per domain and per city)
and `GET /dashboard/cities/{slug}` (milestones, the latest 100 reports, submissions, tickets)
are timed and their SQL statements counted by a `before_cursor_execute` listener. The overview
reads the milestones' latest state and a city's timeline is bounded, so neither should send more
statements as the history grows.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial

import httpx
from sqlalchemy import select

from bench.databases import empty_database
from bench.deadlines import _get, _served
from bench.progress import CALLS, HISTORIES, Statements, _seed, _timed, measured
from bench.report import Table, seconds
from bot.app import App
from db.base import utcnow
from db.enums import MemberStatus, OrganisationKind, Role
from db.models import Member, Organisation
from handlers.dashboard import service

CITY = "khon-kaen"


def _sign_in(app: App, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
    """A depa coordinator, their one-time link, and the session cookie it sets in `client`."""

    async def link() -> str:
        async with app.sessions() as session, session.begin():
            depa = await session.scalar(
                select(Organisation).where(Organisation.kind == OrganisationKind.AGENCY)
            )
            assert depa is not None
            member = Member(
                organisation_id=depa.id,
                role=Role.COORDINATOR,
                display_name="ผู้ประสานงาน",
                status=MemberStatus.ACTIVE,
            )
            session.add(member)
            await session.flush()
            return await service.issue_link(
                session=session, member=member, now=utcnow(), by="bench"
            )

    token = loop.run_until_complete(link())
    response = loop.run_until_complete(client.get(service.link_path(token)))
    if response.status_code != 303:
        raise RuntimeError(f"sign-in: {response.status_code}")


def _measure(kind: str, statements: Statements) -> list[list[str]]:
    """Both histories on `kind`: the overview, then the city page, call by call in turn."""
    with contextlib.ExitStack() as stack:
        urls = {history: stack.enter_context(empty_database(kind)) for history in HISTORIES}
        for history, url in urls.items():
            _seed(url, history)
        served = {history: stack.enter_context(_served(url)) for history, url in urls.items()}
        for app, client, loop in served.values():
            _sign_in(app, client, loop)
        overview = _timed(
            {h: partial(_get, client, loop, "/dashboard")
             for h, (_, client, loop) in served.items()},
            statements,
            CALLS,
        )  # fmt: skip
        city = _timed(
            {h: partial(_get, client, loop, f"/dashboard/cities/{CITY}")
             for h, (_, client, loop) in served.items()},
            statements,
            CALLS,
        )  # fmt: skip
    rows = []
    for history in HISTORIES:
        size = f"{14 * 10 * history:,} reports ({history} per milestone)"
        took, sql, body = overview[history]
        shown = f"{body.count(b'<svg')} SVG charts, {len(body) / 1024:,.0f} KiB"
        rows.append([kind, size, "`GET /dashboard`", seconds(took), str(sql), shown])
        took, sql, body = city[history]
        shown = f"{body.count(b'data-update=')} reports shown, {len(body) / 1024:,.0f} KiB"
        rows.append(
            [kind, size, f"`GET /dashboard/cities/{CITY}`", seconds(took), str(sql), shown]
        )
    return rows


def run() -> Table:
    """Each database kind, each history length: the pages' time and statements per request."""
    notes: list[str] = []
    rows = measured(_measure, notes)
    return Table(
        title="Dashboard pages as the history grows",
        method=(
            "A fresh database (SQLite file; PostgreSQL database created for the run) with the "
            "content's 14 cities × 10 milestones and, written in bulk, 20 or 200 reports per "
            "milestone (2,800 or 28,000 progress_updates; bench/progress.py's seeding). A "
            "coordinator signs in through a link from `handlers.dashboard.service.issue_link` "
            "opened in the real web app (`bot.web.create_web_app`, httpx's ASGITransport); "
            "then `GET /dashboard` (heatmap, SVG charts per domain and per city, flags) and "
            f"`GET /dashboard/cities/{CITY}` (milestones, the latest 100 reports, submissions, "
            f"tickets); median of {CALLS} requests after a warm-up, the two histories taking "
            "turns; SQL statements counted per request by a SQLAlchemy `before_cursor_execute` "
            "listener (the most any request sent), the session check included."
        ),
        columns=[
            "database",
            "data",
            "request",
            "time per request",
            "SQL statements per request",
            "output",
        ],
        rows=rows,
        notes=[
            *notes,
            "The statements per request are the same at both history lengths: the overview "
            "reads the session, the milestones with their cities and plans (their latest state "
            "is on the milestone) and the domains; a city's page reads the session, the city, "
            "its milestones, its latest 100 reports, its current submissions and its tickets.",
        ],
    )
