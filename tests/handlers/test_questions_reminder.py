"""Issue 14: a question nobody at depa answered within two working days reminds them, once."""

from __future__ import annotations

from datetime import date, datetime

from bot.core.texts import Texts
from bot.core.workdays import after_working_days, is_working_day
from bot.seeding.holidays import holiday_dates
from bot.settings import DEFAULT_CONTENT_DIR
from db.enums import Channel, Role, TicketStatus
from db.models import Member, Ticket
from handlers.questions import service
from handlers.questions.notices import ChatNotices
from handlers.questions.payloads import ReplyPressed
from tests.conftest import Database
from tests.factories import add_member, line, telegram
from tests.handlers.progress_kit import pushed
from tests.handlers.questions_kit import buttons, said
from tests.handlers.submissions_kit import BANGKOK, bangkok

HOLIDAYS = holiday_dates(DEFAULT_CONTENT_DIR)


def outreach(texts: Texts) -> service.Outreach:
    """Notices on LINE and Telegram, working days counted with content/holidays.yaml."""
    channels = (Channel.LINE, Channel.TELEGRAM)
    return service.Outreach(
        texts=texts,
        channels=channels,
        notices=ChatNotices(BANGKOK),
        zone=BANGKOK,
        holidays=HOLIDAYS,
    )


async def people(db: Database) -> tuple[Member, Member]:
    """A coordinator on Telegram and a city officer on LINE."""
    async with db.sessions() as session, session.begin():
        coordinator = await add_member(session, "depa", Role.COORDINATOR, [telegram("77")])
        officer = await add_member(session, "khon-kaen", Role.OFFICER, [line("5")])
    return coordinator, officer


async def asked(db: Database, texts: Texts, officer: Member, at: datetime) -> Ticket:
    """The officer's question, asked at `at`."""
    async with db.sessions() as session, session.begin():
        return await service.ask(
            session=session,
            member=officer,
            question="ขอแบบฟอร์มเบิกค่าเดินทาง",
            channel=Channel.LINE,
            now=at,
            outreach=outreach(texts),
        )


async def remind(db: Database, texts: Texts, at: datetime) -> int:
    """One run of the reminder at `at`."""
    async with db.sessions() as session, session.begin():
        return await service.remind_unanswered(session=session, now=at, outreach=outreach(texts))


def test_working_days_skip_weekends_and_holidays() -> None:
    """Friday + 2 is Tuesday; over Chakri Day (a Tuesday) Monday + 2 is Thursday; Saturday
    counts from Monday morning."""
    assert not is_working_day(date(2027, 4, 6), HOLIDAYS)  # Chakri Memorial Day
    assert is_working_day(date(2027, 4, 7), HOLIDAYS)
    friday = bangkok("2027-01-08T15:00")
    assert after_working_days(friday, 2, BANGKOK, HOLIDAYS) == bangkok("2027-01-12T15:00")
    monday = bangkok("2027-04-05T10:00")
    assert after_working_days(monday, 2, BANGKOK, HOLIDAYS) == bangkok("2027-04-08T10:00")
    saturday = bangkok("2027-01-09T11:00")
    assert after_working_days(saturday, 2, BANGKOK, HOLIDAYS) == bangkok("2027-01-13T00:00")


async def test_a_friday_question_reminds_on_tuesday_not_monday_and_once(
    seeded_database: Database, texts: Texts
) -> None:
    """Asked Friday 15:00: nothing on Monday or Tuesday 14:59; Tuesday 15:00 once, then never."""
    _coordinator, officer = await people(seeded_database)
    ticket = await asked(seeded_database, texts, officer, bangkok("2027-01-08T15:00"))

    assert await remind(seeded_database, texts, bangkok("2027-01-11T16:00")) == 0
    assert await remind(seeded_database, texts, bangkok("2027-01-12T14:59")) == 0
    assert await remind(seeded_database, texts, bangkok("2027-01-12T15:00")) == 1
    assert await remind(seeded_database, texts, bangkok("2027-01-12T16:00")) == 0
    assert await remind(seeded_database, texts, bangkok("2027-01-20T09:00")) == 0

    (notice,) = await pushed(seeded_database, f"ticket:{ticket.id}:reminder")
    assert notice.channel is Channel.TELEGRAM and notice.recipients == ["77"]
    assert said(notice).startswith(
        f"⏰ คำถาม #{ticket.id} จาก khon-kaen officer, จังหวัดขอนแก่น ถามเมื่อ 8 ม.ค. 2570 15:00 น."
    )
    assert buttons(notice) == [ReplyPressed(ticket.id).pack()]
    async with seeded_database.sessions() as session:
        stored = await session.get_one(Ticket, ticket.id)
    assert stored.reminded_at == bangkok("2027-01-12T15:00")


async def test_a_holiday_pushes_the_reminder_a_day(
    seeded_database: Database, texts: Texts
) -> None:
    """Asked Monday before Chakri Day: not on Wednesday, on Thursday."""
    _coordinator, officer = await people(seeded_database)
    await asked(seeded_database, texts, officer, bangkok("2027-04-05T10:00"))

    assert await remind(seeded_database, texts, bangkok("2027-04-07T10:30")) == 0
    assert await remind(seeded_database, texts, bangkok("2027-04-08T10:00")) == 1


async def test_no_reminder_once_depa_replied_even_if_the_asker_wrote_back(
    seeded_database: Database, texts: Texts
) -> None:
    """A reply before the mark stops the reminder; the asker's answer back does not revive it."""
    coordinator, officer = await people(seeded_database)
    ticket = await asked(seeded_database, texts, officer, bangkok("2027-01-08T15:00"))
    async with seeded_database.sessions() as session, session.begin():
        await service.reply(
            session=session,
            coordinator=coordinator,
            ticket_id=ticket.id,
            text="ส่งทางอีเมลให้แล้วครับ",
            channel=Channel.TELEGRAM,
            now=bangkok("2027-01-11T09:00"),
            outreach=outreach(texts),
        )
        await service.answer_back(
            session=session,
            member=officer,
            ticket_id=ticket.id,
            text="ยังไม่ได้รับค่ะ",
            channel=Channel.LINE,
            now=bangkok("2027-01-11T10:00"),
            outreach=outreach(texts),
        )

    assert await remind(seeded_database, texts, bangkok("2027-01-13T09:00")) == 0
    async with seeded_database.sessions() as session:
        stored = await session.get_one(Ticket, ticket.id)
    assert stored.status is TicketStatus.OPEN and stored.reminded_at is None
    assert await pushed(seeded_database, f"ticket:{ticket.id}:reminder") == []
