"""/calendar in chat and the feeds it leads to: links, reset, what each member's feed holds."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from bot.core.clock import FrozenClock
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.core.replies import Document
from bot.core.texts import Texts
from bot.settings import Settings
from db.enums import Channel, Language, OrganisationKind, Role
from db.models import AuditLog, CalendarToken, Milestone, Organisation, Plan
from handlers import ROUTERS
from handlers.calendar import service
from tests.calendar_kit import (
    STAGES,
    alarm_times,
    expected_alarms,
    is_utc,
    milestone_events,
    parse,
    stage_events,
    stage_titles,
)
from tests.chatdriver import ChatDriver
from tests.conftest import Database

Register = Callable[..., Awaitable[ChatDriver]]
BANGKOK = ZoneInfo("Asia/Bangkok")
PUBLIC = "https://bot.example.org"
LINK = re.compile(r"https://bot\.example\.org/calendar/([A-Za-z0-9_-]+)\.ics")


@pytest.fixture
def public_base_url() -> str | None:
    """The server's public address (a test parametrises None for a server without one)."""
    return PUBLIC


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, public_base_url: str | None
) -> Dispatcher:
    """The real dispatcher, its settings with PUBLIC_BASE_URL as the test wants it."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=seeded_database.url,
        public_base_url=public_base_url,
    )
    services = Services(settings=settings, texts=texts, clock=clock)
    return Dispatcher(sessions=seeded_database.sessions, routers=ROUTERS, services=services)


def token_in(text: str) -> str:
    """The feed token in a /calendar reply."""
    found = LINK.search(text)
    assert found is not None, text
    return found.group(1)


async def member_feed(database: Database, texts: Texts, token: str) -> bytes | None:
    """The private feed as the web app builds it."""
    async with database.sessions() as session:
        return await service.member_calendar(
            session=session, texts=texts, token=token, zone=BANGKOK
        )


@pytest.fixture
def statements(seeded_database: Database) -> Iterator[list[str]]:
    """Every SQL statement the test's engine runs from now on."""
    seen: list[str] = []
    sync_engine = seeded_database.engine.sync_engine

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(sync_engine, "before_cursor_execute", record)


async def test_city_member_gets_a_link_to_a_feed_with_stages_alarms_and_milestones(
    register: Register, seeded_database: Database, texts: Texts
) -> None:
    """A city executive's /calendar: a lasting link whose feed holds every stage with alarms
    at its reminder offsets and the city's milestones as all-day events, titles in Thai."""
    executive = await register("khon-kaen", Role.EXECUTIVE)
    await executive.send("/calendar")
    token = token_in(executive.text)
    assert "Google Calendar" in executive.text and "iPhone" in executive.text
    await executive.send("ปฏิทิน")  # the Thai keyword; the link stays the same
    assert token_in(executive.text) == token

    body = await member_feed(seeded_database, texts, token)
    assert body is not None
    assert await member_feed(seeded_database, texts, token) == body  # stable across requests
    calendar = parse(body)
    async with seeded_database.sessions() as session:
        titles = await stage_titles(session)
        alarms = await expected_alarms(session)
        milestones = list(
            await session.scalars(
                select(Milestone)
                .join(Plan, Plan.id == Milestone.plan_id)
                .join(Organisation, Organisation.id == Plan.organisation_id)
                .where(Organisation.slug == "khon-kaen", Milestone.due_at.is_not(None))
            )
        )
    stages = stage_events(calendar)
    assert len(stages) == STAGES and {str(e["UID"]) for e in stages} == set(titles)
    for stage in stages:
        uid = str(stage["UID"])
        assert str(stage["SUMMARY"]) == titles[uid][0]
        start, end = stage.decoded("DTSTART"), stage.decoded("DTEND")
        assert is_utc(start) and is_utc(end) and end - start == timedelta(minutes=30)
        assert alarm_times(stage) == alarms[uid]
        assert str(stage["URL"]).startswith("https://")
    assert any(alarms.values()) and not all(alarms.values())  # results has no reminders

    days = {f"milestone-khon-kaen-{m.key}@citybot": m.due_at for m in milestones if m.due_at}
    events = milestone_events(calendar)
    assert events and {str(e["UID"]) for e in events} == set(days)
    for milestone in events:
        due = days[str(milestone["UID"])].astimezone(BANGKOK)
        start = milestone.decoded("DTSTART")
        assert type(start) is date and start == due.date()
        assert milestone.decoded("DTEND") == start + timedelta(days=1)
        assert str(milestone["SUMMARY"]).startswith("หมุดหมาย: ")
        assert len(alarm_times(milestone)) == 1


async def test_english_member_feed_has_english_titles(
    register: Register, seeded_database: Database, texts: Texts
) -> None:
    """A member who reads English gets English titles and calendar name."""
    officer = await register("saen-suk", Role.OFFICER)
    await officer.send("/lang en")
    await officer.send("/calendar")
    assert "How to subscribe" in officer.text
    body = await member_feed(seeded_database, texts, token_in(officer.text))
    assert body is not None
    calendar = parse(body)
    async with seeded_database.sessions() as session:
        titles = await stage_titles(session)
    assert {str(e["SUMMARY"]) for e in stage_events(calendar)} == {en for _, en in titles.values()}
    assert all(str(e["SUMMARY"]).startswith("Milestone: ") for e in milestone_events(calendar))
    assert str(calendar["X-WR-CALNAME"]) == "Deadlines of Saen Suk Town"


async def test_depa_member_feed_has_stages_only(
    register: Register, seeded_database: Database, texts: Texts
) -> None:
    """Outside a city (depa here; partners alike) the feed holds the stages and no milestones."""
    coordinator = await register("depa", Role.COORDINATOR)
    assert "calendar" in [o.payload.rsplit(":", 1)[-1] for o in coordinator.options()]
    await coordinator.send("/calendar")
    body = await member_feed(seeded_database, texts, token_in(coordinator.text))
    assert body is not None
    calendar = parse(body)
    assert len(stage_events(calendar)) == STAGES and not milestone_events(calendar)
    async with seeded_database.sessions() as session:
        kind = await session.scalar(select(Organisation.kind).where(Organisation.slug == "depa"))
    assert kind is not OrganisationKind.CITY


async def test_reset_revokes_the_old_link(
    register: Register, seeded_database: Database, texts: Texts
) -> None:
    """`/calendar reset`: a new link that works, the old one serves nothing; audited."""
    officer = await register("bangkok", Role.OFFICER)
    await officer.send("/calendar")
    old = token_in(officer.text)
    await officer.send("/calendar reset")
    new = token_in(officer.text)
    assert new != old and "ลิงก์เดิมใช้ไม่ได้" in officer.text
    assert await member_feed(seeded_database, texts, old) is None
    assert await member_feed(seeded_database, texts, new) is not None
    assert await member_feed(seeded_database, texts, "no-such-token") is None
    async with seeded_database.sessions() as session:
        tokens = list(await session.scalars(select(CalendarToken).order_by(CalendarToken.id)))
        audit = list(await session.scalars(select(AuditLog.action)))
    assert [t.revoked_at is None for t in tokens] == [False, True]
    assert "calendar.reset" in audit
    assert all(old not in str(row) for row in audit)


@pytest.mark.parametrize("channel", [Channel.LINE, Channel.TELEGRAM])
async def test_the_feed_comes_as_a_file_on_telegram_only(
    register: Register, seeded_database: Database, texts: Texts, channel: Channel
) -> None:
    """On Telegram /calendar (and /calendar reset) adds the feed's own bytes as citybot.ics,
    linked to the same address; on LINE, which sends no files, the link comes once only."""
    member = await register("khon-kaen", Role.OFFICER, channel=channel)
    for command in ("/calendar", "/calendar reset"):
        await member.send(command)
        token = token_in(member.text)
        documents = [r for r in member.last if isinstance(r, Document)]
        if channel is Channel.LINE:
            assert documents == [] and member.text.count(token) == 1
            continue
        (document,) = documents
        assert document.file_name == "citybot.ics" and document.url.endswith(f"/{token}.ics")
        assert document.content == await member_feed(seeded_database, texts, token)
        assert len(stage_events(parse(document.content))) == STAGES


async def test_calendar_usage_for_other_words(register: Register) -> None:
    """Another word after /calendar gets the usage, and no new link."""
    officer = await register("phuket", Role.OFFICER)
    await officer.send("/calendar please")
    assert "วิธีใช้" in officer.text and LINK.search(officer.text) is None


@pytest.mark.parametrize("public_base_url", [None])
async def test_without_public_url_the_reply_says_so_and_shows_the_path(
    register: Register,
) -> None:
    """No PUBLIC_BASE_URL: the member learns the link needs it, with the feed's path."""
    officer = await register("krabi", Role.OFFICER)
    await officer.send("/calendar")
    assert "PUBLIC_BASE_URL" in officer.text
    assert re.search(r"/calendar/[A-Za-z0-9_-]{32}\.ics", officer.text)


async def test_public_feed_by_language(seeded_database: Database, texts: Texts) -> None:
    """The public feed: one event per stage, no alarms, Thai or English titles."""
    async with seeded_database.sessions() as session:
        titles = await stage_titles(session)
        thai = await service.competition_calendar(
            session=session, texts=texts, language=Language.TH, zone=BANGKOK
        )
        english = await service.competition_calendar(
            session=session, texts=texts, language=Language.EN, zone=BANGKOK
        )
    for body, index in ((thai, 0), (english, 1)):
        events = stage_events(parse(body))
        assert len(events) == STAGES == len(parse(body).events)
        assert {str(e["SUMMARY"]) for e in events} == {t[index] for t in titles.values()}
        assert all(not alarm_times(e) for e in events)
    assert {str(e["UID"]) for e in parse(thai).events} == set(titles)


async def test_feeds_take_a_fixed_number_of_queries(
    register: Register, seeded_database: Database, texts: Texts, statements: list[str]
) -> None:
    """One query for the public feed, four for a city member's, whatever they hold."""
    executive = await register("songkhla", Role.EXECUTIVE)
    await executive.send("/calendar")
    token = token_in(executive.text)
    statements.clear()
    assert await member_feed(seeded_database, texts, token) is not None
    member_queries = len(statements)
    statements.clear()
    async with seeded_database.sessions() as session:
        await service.competition_calendar(
            session=session, texts=texts, language=Language.TH, zone=BANGKOK
        )
    assert (member_queries, len(statements)) == (4, 1)
