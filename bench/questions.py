"""Issue 14's reads as tickets grow: the FAQ searched per message, and the ticket list.

A fresh database gets the content (14 cities, the FAQ) and then, written in bulk, one officer
per city and 100 or 1,000 tickets spread over them (a third open, a third answered, a third
closed). Then, in this process, timed call by call with their SQL statements counted by a
`before_cursor_execute` listener: `handlers.questions.service.faq_answers` for a member's message
(ten Thai and English questions in turn, the index built once and kept while the FAQ is
unchanged), `service.list_tickets` on a session as `/tickets` and the dashboard read it, and
`citybot tickets list --format json` as an operator runs it. The list must not send more
statements as tickets grow (no query per ticket); the FAQ search does not depend on them at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial

from sqlalchemy import insert, select

from bench.broadcast import seeded
from bench.databases import empty_database
from bench.progress import CALLS, Statements, _command, _timed, measured
from bench.report import Table, seconds
from db.base import utcnow
from db.enums import OrganisationKind, Role, TicketStatus
from db.models import FaqEntry, Organisation, Ticket
from db.session import create_engine, create_session_factory
from handlers.questions import service
from tests.factories import add_members_in_bulk, line

SCALES = (100, 1000)  # tickets
MESSAGES = (
    "กติกาการประกวดเป็นอย่างไร",
    "how do I report progress on our plans",
    "BOI มีสิทธิประโยชน์อะไรบ้าง",
    "where are the workshop slides",
    "เมืองจะหาบริษัทเอกชนมาร่วมงานได้อย่างไร",
    "what is a city data platform",
    "ขอเบอร์โทรผู้ประสานงานภาคใต้หน่อยครับ",
    "when is the plan due",
    "อยากได้งบประมาณเพิ่ม",
    "we want to host the next meetup, who decides",
)
STATUSES = (TicketStatus.OPEN, TicketStatus.ANSWERED, TicketStatus.CLOSED)


def _seed(url: str, tickets: int) -> None:
    """The content, an officer per city and `tickets` tickets over them."""
    seeded(url)
    asyncio.run(_tickets(url, tickets))


async def _tickets(url: str, count: int) -> None:
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
            askers: list[tuple[int, int]] = []
            for number, city in enumerate(cities):
                (member,) = await add_members_in_bulk(
                    session, city.slug, Role.OFFICER, [line(f"{number:x}q")]
                )
                askers.append((city.id, member))
            rows = []
            for n, ((city_id, member_id), status) in enumerate(
                zip(itertools.cycle(askers), itertools.cycle(STATUSES), strict=False)
            ):
                if n == count:
                    break
                asked = now - timedelta(hours=count - n)
                replied = asked + timedelta(hours=2) if status is not TicketStatus.OPEN else None
                rows.append(
                    {
                        "organisation_id": city_id,
                        "member_id": member_id,
                        "question": f"คำถามที่ {n + 1}: ขอข้อมูลเพิ่มเติมเรื่องแผนเมืองอัจฉริยะ",
                        "status": status,
                        "asked_at": asked,
                        "first_reply_at": replied,
                        "last_message_at": replied or asked,
                    }
                )
            await session.execute(insert(Ticket), rows)
    finally:
        await engine.dispose()


@contextlib.contextmanager
def _reads(url: str) -> Iterator[tuple[Callable[[], int], Callable[[], int]]]:
    """FAQ search (one message per call, in turn) and `list_tickets`, on one long-lived engine."""
    loop = asyncio.new_event_loop()
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    messages = itertools.cycle(MESSAGES)

    async def search() -> int:
        async with sessions() as session:
            return len(await service.faq_answers(session=session, query=next(messages)))

    async def listing() -> int:
        async with sessions() as session:
            return len(await service.list_tickets(session=session))

    try:
        yield (
            (lambda: loop.run_until_complete(search())),
            (lambda: loop.run_until_complete(listing())),
        )
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


async def _faq_size(url: str) -> int:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            return len(list(await session.scalars(select(FaqEntry.id))))
    finally:
        await engine.dispose()


def _measure(kind: str, statements: Statements) -> list[list[str]]:
    """Both scales on `kind`, each read call by call in turn."""
    with contextlib.ExitStack() as stack:
        urls = {scale: stack.enter_context(empty_database(kind)) for scale in SCALES}
        for scale, url in urls.items():
            _seed(url, scale)
        faq = asyncio.run(_faq_size(urls[SCALES[0]]))
        reads = {scale: stack.enter_context(_reads(url)) for scale, url in urls.items()}
        # One scale after the other: the index is kept per process, and two databases taking
        # turns would rebuild it at every call (one bot has one database).
        searched = {s: _timed({s: r[0]}, statements, CALLS)[s] for s, r in reads.items()}
        listed = _timed({s: r[1] for s, r in reads.items()}, statements, CALLS)
        command = _timed(
            {s: partial(_command, url, "tickets", "list", "--format", "json")
             for s, url in urls.items()},
            statements,
            CALLS,
        )  # fmt: skip
    rows = []
    for scale in SCALES:
        size = f"{scale:,} tickets; {faq} FAQ entries"
        took, sql, _ = searched[scale]
        rows.append(["FAQ search, one message", seconds(took), str(sql), "≤ 3 answers"])
        took, sql, found = listed[scale]
        rows.append(["`service.list_tickets`", seconds(took), str(sql), f"{found:,} tickets"])
        took, sql, printed = command[scale]
        shown = f"{len(json.loads(printed)):,} records"
        rows.append(["`citybot tickets list --format json`", seconds(took), str(sql), shown])
        rows[-3:] = [[kind, size, *row] for row in rows[-3:]]
    return rows


def run() -> Table:
    """Each database kind, each scale: the reads' time and statements per call."""
    notes: list[str] = []
    rows = measured(_measure, notes)
    return Table(
        title="Questions to depa: FAQ search per message, ticket lists as tickets grow",
        method=(
            "A fresh database (SQLite file; PostgreSQL database created for the run) with the "
            "content (14 cities, the FAQ) and, written in bulk, one officer per city and 100 or "
            "1,000 tickets over them (open, answered and closed in turn). In this process: "
            "`handlers.questions.service.faq_answers` for one member's message per call (ten "
            "Thai and English messages in turn, some the FAQ answers and some it does not; the "
            "index is built at the warm-up and kept while the FAQ is unchanged; one scale after "
            "the other, as the index is kept per process), `service.list_tickets` "
            "(every ticket with its organisation and asker, as `/tickets` and the dashboard "
            "read them) on a session of one long-lived engine, and `citybot tickets list "
            "--format json` as the console script runs it (settings, its own engine, one "
            f"transaction, JSON to stdout); median of {CALLS} calls after a warm-up, the two "
            "scales taking turns for the lists; SQL statements counted per call by a SQLAlchemy "
            "`before_cursor_execute` listener (the most any call sent)."
        ),
        columns=["database", "data", "call", "time per call", "SQL statements per call", "found"],
        rows=rows,
        notes=[
            *notes,
            "The list sends one statement at both scales (tickets joined with their "
            "organisation and asker): no query per ticket.",
            "A FAQ search sends at most two: the FAQ's version (count and latest change, the "
            "index's cache key) and, when something matched, the entries found.",
        ],
    )
