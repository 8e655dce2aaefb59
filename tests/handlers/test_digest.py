"""The weekly digest to depa: the week's reports, completed and blocked work, silent cities."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.replies import Text
from bot.core.texts import Texts
from db.enums import Channel, Language, MemberStatus, MilestoneStatus, OrganisationKind
from db.models import Member, Milestone, Organisation
from handlers.progress import checkins
from handlers.progress.digest import (
    Digest,
    DigestOutreach,
    Mention,
    send_due_digest,
    week_of,
)
from handlers.progress.digest_views import MAX_TEXT_UNITS, ChatDigest, utf16_units
from handlers.progress.service import city_of, milestone_of, record_update
from tests.conftest import Database
from tests.handlers.checkin_teams import (
    BANGKOK,
    PUSH,
    ROUND_AT,
    Teams,
    bangkok,
    checkin_outreach,
    make_teams,
    outbox,
    reply,
    report_outreach,
)

DIGEST_CRON = "30 8 * * MON"


def digest_outreach(texts: Texts) -> DigestOutreach:
    """The digest on LINE and Telegram, written by the chat views."""
    return DigestOutreach(texts=texts, channels=PUSH, zone=BANGKOK, messages=ChatDigest(BANGKOK))


async def report(
    db: Database, texts: Texts, org: str, key: str, status: MilestoneStatus, percent: int
) -> None:
    """An operator's report on Tuesday 5 January, through `record_update`."""
    async with db.sessions() as session, session.begin():
        city = await city_of(session=session, slug=org)
        await record_update(
            session=session,
            organisation=city,
            milestone=await milestone_of(session=session, organisation_id=city.id, key=key),
            status=status,
            percent=percent,
            note="why",
            evidence=None,
            author=None,
            identity_id=None,
            channel=None,
            now=bangkok(5, 10),
            outreach=report_outreach(texts),
            via="cli",
        )


async def digest_at(db: Database, texts: Texts, now: datetime) -> int:
    """The digest run at `now` on the default schedule; how many messages."""
    async with db.sessions() as session, session.begin():
        return await send_due_digest(
            session=session, cron=DIGEST_CRON, now=now, outreach=digest_outreach(texts)
        )


@pytest.fixture
async def teams(seeded_database: Database) -> Teams:
    """The test's city teams and depa staff."""
    async with seeded_database.sessions() as session, session.begin():
        return await make_teams(session)


async def test_the_digest_names_the_week_and_the_silent_cities_once_per_person(
    seeded_database: Database, texts: Texts, teams: Teams
) -> None:
    """Monday 08:30: the coordinator (English) and the admin (Thai) each get the week — one
    report completing Khon Kaen's milestone, Yala's newly blocked one, the cities silent since
    last Monday's check-in (not Khon Kaen, which answered), the overall completion — once."""
    outreach = checkin_outreach(texts)
    async with seeded_database.sessions() as session, session.begin():
        await checkins.run_round(
            session=session, round_at=ROUND_AT, now=ROUND_AT, outreach=outreach
        )
    await report(seeded_database, texts, "khon-kaen", "pmc-established", MilestoneStatus.DONE, 100)
    await report(seeded_database, texts, "yala", "policy-announced", MilestoneStatus.BLOCKED, 10)
    async with seeded_database.sessions() as session, session.begin():
        silent = await checkins.run_escalations(
            session=session, now=bangkok(11, 0, 0), outreach=outreach
        )
    assert silent.silent == 1  # Yala; Khon Kaen answered

    assert await digest_at(seeded_database, texts, bangkok(11, 8, 29)) == 0  # last week's: over
    assert await digest_at(seeded_database, texts, bangkok(11, 8, 30)) == 2
    assert await digest_at(seeded_database, texts, bangkok(11, 8, 35)) == 0
    rows = await outbox(seeded_database.sessions, "digest:")
    week = week_of(bangkok(11, 8, 30), BANGKOK)
    assert week == "2027-W02"
    assert rows.keys() == {
        f"digest:{week}:m{teams.depa_coordinator}",
        f"digest:{week}:m{teams.depa_admin}",
    }
    english = reply(rows[f"digest:{week}:m{teams.depa_coordinator}"])["text"]
    assert rows[f"digest:{week}:m{teams.depa_coordinator}"].channel is Channel.TELEGRAM
    assert english.startswith("📊 Weekly progress digest, 4 Jan 2027 – 11 Jan 2027\n")
    assert "📝 Reports this week: 2, from Khon Kaen, Yala" in english
    assert (
        "✅ Milestones completed (1)\n• Khon Kaen — Project Management Committee set up" in english
    )
    assert "🚧 Newly blocked (1)\n• Yala — Plan announced as city policy" in english
    assert "\n🔕 Not responding to check-ins (1)\n• Yala\n📈" in english
    # Khon Kaen: (50 + 100 + 100) / 10 = 25 %, Phuket 10 %, Yala 1 %: 36 / 14 cities ≈ 3 %.
    assert english.endswith("📈 Overall completion: 3% (3 of 140 milestones done)")
    thai = reply(rows[f"digest:{week}:m{teams.depa_admin}"])["text"]
    assert thai.startswith("📊 สรุปความคืบหน้าประจำสัปดาห์ 4 ม.ค. 2570 – 11 ม.ค. 2570")
    assert "🔕 ไม่ตอบการติดตามความคืบหน้า (1)\n• จังหวัดยะลา" in thai


async def test_a_missed_digest_goes_out_once_but_not_at_night_nor_a_day_late(
    seeded_database: Database, texts: Texts, teams: Teams
) -> None:
    """Down at 08:30, back at 22:00: nothing then; sent at 08:00 next morning; not again."""
    assert await digest_at(seeded_database, texts, bangkok(11, 22, 0)) == 0
    assert await digest_at(seeded_database, texts, bangkok(12, 8, 0)) == 2
    assert await digest_at(seeded_database, texts, bangkok(12, 8, 5)) == 0
    assert await digest_at(seeded_database, texts, bangkok(13, 9, 0)) == 0  # past the grace
    rows = await outbox(seeded_database.sessions, "digest:")
    quiet_week = reply(rows[f"digest:2027-W02:m{teams.depa_coordinator}"])["text"]
    assert "📝 No progress reports this week" in quiet_week
    assert "🔕 Not responding to check-ins: none" in quiet_week


def test_long_lists_are_cut_to_fit_one_message(texts: Texts) -> None:
    """140 milestones with the longest titles: the lists shrink until the text fits 5,000."""
    city = Organisation(slug="city", kind=OrganisationKind.CITY, name_th="เมือง", name_en="City")
    mentions = tuple(
        Mention(city, Milestone(title_th="ก" * 300, title_en="long title " * 27, id=n))
        for n in range(140)
    )
    digest = Digest(
        start=datetime(2027, 1, 4, 1, 30, tzinfo=UTC),
        end=datetime(2027, 1, 11, 1, 30, tzinfo=UTC),
        reports=280,
        reporting=(city,) * 14,
        completed=mentions,
        blocked=mentions,
        silent=(city,) * 14,
        completion=50,
        done=70,
        total=140,
    )
    for language in Language:
        [message] = ChatDigest(BANGKOK).digest(digest)(texts.bind(language))
        assert isinstance(message, Text)
        text = message.text
        assert utf16_units(text) <= MAX_TEXT_UNITS
        assert texts.get(language, "digest.more", count=135) in text  # five shown of each
        assert texts.get(language, "digest.completion", percent=50, done=70, total=140) in text


async def test_only_active_depa_staff_get_it(
    seeded_database: Database, texts: Texts, teams: Teams
) -> None:
    """City members never get the digest; an erased depa admin does not either."""
    async with seeded_database.sessions() as session, session.begin():
        admin = await session.get_one(Member, teams.depa_admin)
        admin.status = MemberStatus.ERASED
    assert await digest_at(seeded_database, texts, bangkok(11, 9, 0)) == 1
    rows = await outbox(seeded_database.sessions, "digest:")
    assert list(rows) == [f"digest:2027-W02:m{teams.depa_coordinator}"]
