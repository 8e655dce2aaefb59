"""Issue 13's reads as submissions and members grow: the feeds, `submissions list`, `/deadlines`.

A fresh database gets the content (14 cities, 5 competition stages) and then, written in bulk,
either 1 or 10 submissions per city × stage (the older ones replaced, `replaced_at` set, as a
city's resubmissions leave them) and 5 or 50 members per city, each with a calendar token.
Then, in this process and timed call by call with their SQL statements counted by a
`before_cursor_execute` listener: `GET /calendar/{token}.ics` and `GET /calendar/competition.ics`
through the real Starlette app (httpx's ASGITransport, no server), `citybot submissions list
--format json` as an operator runs it, and `/deadlines`'s reads for a city officer (its handler's
organisation lookup, then `handlers.deadlines.service.calendar`). None of them should send more
statements as the history and the membership grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import httpx
from sqlalchemy import insert, select

from bench.broadcast import seeded
from bench.databases import empty_database
from bench.progress import CALLS, Statements, _command, _timed, measured
from bench.report import Table, seconds
from bot.app import App
from bot.settings import Settings
from bot.web import create_web_app
from db.base import utcnow
from db.enums import OrganisationKind, Role, SubmissionKind
from db.models import CalendarToken, Deadline, Organisation, Submission
from db.session import create_engine, create_session_factory
from handlers.deadlines import service
from tests.factories import add_members_in_bulk, line

SCALES = (1, 10)  # submissions per city × stage; the members per city are 5 × this
MEMBERS_PER_SUBMISSION = 5


@dataclass(frozen=True)
class Seeded:
    """What a benchmark call needs to know about the data it reads."""

    token: str  # a feed token of the last member of the first city
    city_id: int
    submissions: int  # rows, replaced ones included
    members: int


def _seed(url: str, scale: int) -> Seeded:
    """The content; `5 × scale` members per city with a token each; `scale` submissions per
    city × stage, all but the latest replaced."""
    seeded(url)
    return asyncio.run(_people_and_entries(url, scale))


async def _people_and_entries(url: str, scale: int) -> Seeded:
    engine = create_engine(url)
    now = utcnow()
    try:
        async with create_session_factory(engine)() as session, session.begin():
            cities = list(
                await session.scalars(
                    select(Organisation)
                    .where(Organisation.kind == OrganisationKind.CITY)
                    .order_by(Organisation.id)
                )
            )
            stages = list(await session.scalars(select(Deadline).order_by(Deadline.id)))
            per_city = MEMBERS_PER_SUBMISSION * scale
            members: dict[int, list[int]] = {}
            for number, city in enumerate(cities):
                accounts = [line(f"{number:x}b{n:x}") for n in range(per_city)]
                members[city.id] = await add_members_in_bulk(
                    session, city.slug, Role.OFFICER, accounts
                )
            issued = {
                member_id: secrets.token_urlsafe(24)
                for ids in members.values()
                for member_id in ids
            }
            await session.execute(
                insert(CalendarToken), [{"member_id": m, "token": t} for m, t in issued.items()]
            )
            entries = []
            for city in cities:
                for stage in stages:
                    for k in range(scale):
                        submitted = now - timedelta(days=scale - k, minutes=stage.id)
                        replaced = now - timedelta(days=scale - k - 1) if k < scale - 1 else None
                        entries.append(
                            {
                                "deadline_id": stage.id,
                                "organisation_id": city.id,
                                "member_id": members[city.id][k % per_city],
                                "reference": f"BENCH-{city.id}-{stage.id}-{k:02d}",
                                "kind": SubmissionKind.LINK,
                                "url": f"https://example.org/{city.slug}/{stage.slug}/{k}",
                                "submitted_at": submitted,
                                "late": submitted > stage.due_at,
                                "replaced_at": replaced,
                            }
                        )
            await session.execute(insert(Submission), entries)
            first = cities[0].id
            return Seeded(issued[members[first][-1]], first, len(entries), len(issued))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def _served(url: str) -> Iterator[tuple[App, httpx.AsyncClient, asyncio.AbstractEventLoop]]:
    """The whole App on `url` and an HTTP client to its web app, on a loop of their own."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    loop = asyncio.new_event_loop()
    settings = Settings(_env_file=None, database_url=url)
    app = App.create(settings)
    loop.run_until_complete(app.start(loops=False))
    transport = httpx.ASGITransport(app=create_web_app(app, loops=False))
    client = httpx.AsyncClient(transport=transport, base_url="http://citybot.bench")
    try:
        yield app, client, loop
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(app.close())
        loop.close()


def _get(client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop, path: str) -> bytes:
    response = loop.run_until_complete(client.get(path))
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")
    return response.content


def _deadlines(app: App, loop: asyncio.AbstractEventLoop, city_id: int) -> service.Calendar:
    """What `/deadlines` reads for a city officer: the organisation, then the calendar."""

    async def once() -> service.Calendar:
        async with app.sessions() as session:
            organisation = await session.get(Organisation, city_id)
            return await service.calendar(
                session=session, now=utcnow(), organisation=organisation, with_counts=False
            )

    return loop.run_until_complete(once())


def _events(body: bytes) -> str:
    return f"{body.count(b'BEGIN:VEVENT')} events, {len(body) / 1024:,.1f} KiB"


def _measure(kind: str, statements: Statements) -> list[list[str]]:
    """Both scales on `kind`, each read call by call in turn."""
    with contextlib.ExitStack() as stack:
        urls = {scale: stack.enter_context(empty_database(kind)) for scale in SCALES}
        data = {scale: _seed(url, scale) for scale, url in urls.items()}
        served = {scale: stack.enter_context(_served(url)) for scale, url in urls.items()}
        member_feed = _timed(
            {
                s: partial(_get, client, loop, f"/calendar/{data[s].token}.ics")
                for s, (_, client, loop) in served.items()
            },
            statements,
            CALLS,
        )
        public_feed = _timed(
            {
                s: partial(_get, client, loop, "/calendar/competition.ics")
                for s, (_, client, loop) in served.items()
            },
            statements,
            CALLS,
        )
        listed = _timed(
            {s: partial(_command, url, "submissions", "list", "--format", "json")
             for s, url in urls.items()},
            statements,
            CALLS,
        )  # fmt: skip
        view = _timed(
            {s: partial(_deadlines, app, loop, data[s].city_id)
             for s, (app, _, loop) in served.items()},
            statements,
            CALLS,
        )  # fmt: skip
    rows = []
    for scale in SCALES:
        seed = data[scale]
        size = (
            f"{seed.submissions:,} submissions ({scale} per city × stage); "
            f"{seed.members:,} members"
        )
        took, sql, body = member_feed[scale]
        rows.append(["`GET /calendar/{token}.ics`", seconds(took), str(sql), _events(body)])
        took, sql, body = public_feed[scale]
        rows.append(["`GET /calendar/competition.ics`", seconds(took), str(sql), _events(body)])
        took, sql, printed = listed[scale]
        entries = f"{len(json.loads(printed))} current entries"
        rows.append(["`citybot submissions list --format json`", seconds(took), str(sql), entries])
        took, sql, found = view[scale]
        submitted = sum(stage.submission is not None for stage in found.stages)
        stages = f"{len(found.stages)} stages, {submitted} submitted"
        rows.append(["`/deadlines` reads (city officer)", seconds(took), str(sql), stages])
        rows[-4:] = [[kind, size, *row] for row in rows[-4:]]
    return rows


def run() -> Table:
    """Each database kind, each scale: the reads' time and statements per call."""
    notes: list[str] = []
    rows = measured(_measure, notes)
    return Table(
        title="Calendar feeds, submissions list and /deadlines as data grows",
        method=(
            "A fresh database (SQLite file; PostgreSQL database created for the run) with the "
            "content's 14 cities and 5 competition stages and, written in bulk, 1 or 10 "
            "submissions per city × stage (70 or 700 rows; all but each city's latest per stage "
            "replaced, `replaced_at` set) and 5 or 50 officers per city (70 or 700 members), "
            "each with a calendar token. In this process: `GET /calendar/{token}.ics` (the last "
            "member of the first city) and `GET /calendar/competition.ics` through the real "
            "web app (`bot.web.create_web_app`) over httpx's ASGITransport, `citybot submissions "
            "list --format json` as the console script runs it (settings, its own engine, one "
            "transaction, JSON to stdout), and what `/deadlines` reads for a city officer (the "
            "handler's organisation lookup and `handlers.deadlines.service.calendar` on a "
            f"session of the App's engine); median of {CALLS} calls after a warm-up, the two "
            "scales taking turns; SQL statements counted per call by a SQLAlchemy "
            "`before_cursor_execute` listener (the most any call sent)."
        ),
        columns=[
            "database",
            "data",
            "call",
            "time per call",
            "SQL statements per call",
            "output",
        ],
        rows=rows,
        notes=[
            *notes,
            "The statements per call are the same at both scales, one query per kind of row: "
            "the member's feed reads the token's owner with their city, the reminder offsets, "
            "the stages and the city's dated milestones; the public feed the stages; the list "
            "the current submissions (replaced ones filtered out by `replaced_at`); "
            "`/deadlines` the organisation, the city's current submissions, the stages and "
            "the city's milestones due within 30 days.",
            "`submissions list` spends most of its time on what every command does before its "
            "one query: settings, logging, its own engine and connection.",
        ],
    )
