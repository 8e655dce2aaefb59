"""Check-ins with a controlled clock: the round's message, the reminders, silence, quiet hours."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.payloads import parse_payload
from bot.core.texts import Texts
from db.enums import Channel, MilestoneStatus
from db.models import CheckinRound, Member
from handlers.progress import checkins
from handlers.progress.payloads import UpdateMilestone
from handlers.progress.service import city_of, milestone_of, record_update
from tests.conftest import Database
from tests.handlers.checkin_teams import (
    CRON,
    GROUP_CHAT,
    ROUND_AT,
    Teams,
    bangkok,
    checkin_outreach,
    make_teams,
    outbox,
    reply,
    report_outreach,
)


@pytest.fixture
async def teams(seeded_database: Database) -> Teams:
    """The test's city teams and depa staff."""
    async with seeded_database.sessions() as session, session.begin():
        return await make_teams(session)


async def ask(db: Database, texts: Texts, now: datetime = ROUND_AT) -> checkins.Tally:
    """Run the 09:00 round at `now`."""
    async with db.sessions() as session, session.begin():
        return await checkins.run_round(
            session=session, round_at=ROUND_AT, now=now, outreach=checkin_outreach(texts)
        )


async def escalate(db: Database, texts: Texts, now: datetime) -> checkins.Tally:
    """The escalation steps due at `now`."""
    async with db.sessions() as session, session.begin():
        return await checkins.run_escalations(
            session=session, now=now, outreach=checkin_outreach(texts)
        )


async def due(db: Database, texts: Texts, cron: str, now: datetime) -> checkins.Tally:
    """What the scheduler runs at `now` on the schedule `cron`."""
    async with db.sessions() as session, session.begin():
        return await checkins.run_due(
            session=session, cron=cron, now=now, outreach=checkin_outreach(texts)
        )


async def test_a_round_asks_each_team_once_about_its_milestones_due_soon(
    seeded_database: Database, texts: Texts, teams: Teams
) -> None:
    """Executive, officers (each in their language) and the team's group (Thai) get one message
    listing the overdue and soon-due milestones that are not done, a button for each; a city
    with nothing listed gets nothing, and a second run queues nothing new."""
    tally = await ask(seeded_database, texts)
    assert tally.round == 5  # Khon Kaen: executive, two officers, its group; Yala: executive
    # Every city but Phuket has something listed; only Khon Kaen and Yala have someone to ask.
    assert len(tally.rounds) == 2
    rows = await outbox(seeded_database.sessions, "checkin:")
    kk_round = next(r for r in tally.rounds if r.milestone_ids[0] == teams.kk_needs)
    assert kk_round.milestone_ids == [teams.kk_needs, teams.kk_pmc]  # overdue first; done left out
    key = f"checkin:{kk_round.id}"
    expected = {f"{key}:m{m}" for m in (teams.kk_executive, *teams.kk_officers)}
    assert expected | {f"{key}:c{teams.kk_chat}"} <= rows.keys()
    assert not any(key.endswith(f":m{teams.phuket_officer}") for key in rows)

    thai = reply(rows[f"{key}:m{teams.kk_executive}"])["text"]
    assert "จังหวัดขอนแก่น" in thai
    assert "ครบกำหนด 20 ธ.ค. 2569 (เลยกำหนดมา 15 วัน)" in thai
    assert "ครบกำหนด 29 ม.ค. 2570 (อีก 25 วัน)" in thai
    assert "จัดทำแผนพัฒนาเมืองอัจฉริยะระดับพื้นที่" not in thai  # done, though overdue
    english = reply(rows[f"{key}:m{teams.kk_officers[0]}"])
    assert english["text"].startswith("📋 Check-in: Khon Kaen\n")
    assert "due 20 Dec 2026 (15 days overdue)" in english["text"]
    assert "due 29 Jan 2027 (25 days left)" in english["text"]
    buttons = [parse_payload(option["payload"]) for option in english["options"]]
    assert buttons == [UpdateMilestone(teams.kk_needs), UpdateMilestone(teams.kk_pmc)]
    group = rows[f"{key}:c{teams.kk_chat}"]
    assert group.recipients == [GROUP_CHAT]
    assert reply(group)["text"] == thai

    again = await ask(seeded_database, texts, now=ROUND_AT + timedelta(minutes=5))
    assert (again.round, again.rounds) == (0, [])
    assert (await outbox(seeded_database.sessions, "checkin:")).keys() == rows.keys()


async def test_officers_then_executive_are_reminded_then_the_city_is_silent(
    seeded_database: Database, texts: Texts, teams: Teams
) -> None:
    """Two days on the officers hear (Yala, without officers: its executive), four days on the
    executives; each step once however often it runs; from day seven the city is silent."""
    tally = await ask(seeded_database, texts)
    kk = next(r for r in tally.rounds if r.milestone_ids[0] == teams.kk_needs).id

    assert (await escalate(seeded_database, texts, bangkok(6, 8, 59))).officers == 0
    two_days = await escalate(seeded_database, texts, bangkok(6, 9, 5))
    assert (two_days.officers, two_days.executive, two_days.silent) == (3, 0, 0)
    rows = await outbox(seeded_database.sessions, f"checkin:{kk}:officers:")
    assert rows.keys() == {f"checkin:{kk}:officers:m{officer}" for officer in teams.kk_officers}
    reminder = reply(rows[f"checkin:{kk}:officers:m{teams.kk_officers[0]}"])
    assert reminder["text"].startswith("⏰ Reminder: Khon Kaen has not yet reported")
    assert "asked about on 4 Jan 2027" in reminder["text"]
    assert [parse_payload(o["payload"]) for o in reminder["options"]] == [
        UpdateMilestone(teams.kk_needs),
        UpdateMilestone(teams.kk_pmc),
    ]
    yala_keys = (await outbox(seeded_database.sessions, "checkin:")).keys()
    assert any(k.endswith(f":officers:m{teams.yala_executive}") for k in yala_keys)
    assert (await escalate(seeded_database, texts, bangkok(7, 10))).officers == 0

    four_days = await escalate(seeded_database, texts, bangkok(8, 9, 5))
    assert (four_days.officers, four_days.executive, four_days.silent) == (0, 2, 0)
    executive = reply(
        (await outbox(seeded_database.sessions, f"checkin:{kk}:executive:"))[
            f"checkin:{kk}:executive:m{teams.kk_executive}"
        ]
    )
    assert "ผู้บริหาร" in executive["text"] and "(4 วันแล้ว)" in executive["text"]
    assert (await escalate(seeded_database, texts, bangkok(9, 10))).executive == 0

    assert (await escalate(seeded_database, texts, bangkok(10, 23, 59))).silent == 0
    silent = await escalate(seeded_database, texts, bangkok(11, 0, 0))  # Monday: day seven
    assert silent.silent == 2
    assert (await escalate(seeded_database, texts, bangkok(11, 0, 5))).silent == 0
    async with seeded_database.sessions() as session:
        marked = await session.get_one(CheckinRound, kk)
    assert marked.silent_at == bangkok(11, 0, 0)


async def test_a_step_falling_in_the_night_waits_until_eight(
    seeded_database: Database, texts: Texts, teams: Teams
) -> None:
    """A round asked at 20:30 is due a reminder at 20:30 two days on; missed until 22:00 it is
    not sent then nor at 07:55, but at 08:00."""
    evening = bangkok(4, 20, 30)
    asked = await ask(seeded_database, texts, now=evening)
    assert asked.round == 5
    assert (await escalate(seeded_database, texts, bangkok(6, 22, 0))).officers == 0
    assert (await escalate(seeded_database, texts, bangkok(7, 7, 55))).officers == 0
    morning = await escalate(seeded_database, texts, bangkok(7, 8, 0))
    assert morning.officers == 3
    async with seeded_database.sessions() as session:
        stamped = await session.get_one(CheckinRound, asked.rounds[0].id)
    assert stamped.officers_reminded_at == bangkok(7, 8, 0)


async def test_a_round_due_in_the_night_waits_until_eight(
    seeded_database: Database, texts: Texts, teams: Teams
) -> None:
    """A schedule at 22:00 asks nobody then; the run at 08:00 next morning asks, once."""
    night = await due(seeded_database, texts, "0 22 * * TUE", bangkok(5, 22, 0))
    early = await due(seeded_database, texts, "0 22 * * TUE", bangkok(6, 7, 55))
    morning = await due(seeded_database, texts, "0 22 * * TUE", bangkok(6, 8, 0))
    assert (night.round, night.rounds, early.round, early.rounds) == (0, [], 0, [])
    assert morning.round == 5
    assert {r.round_at for r in morning.rounds} == {bangkok(5, 22, 0)}


async def test_a_city_that_answered_hears_nothing_more(
    seeded_database: Database, texts: Texts, teams: Teams
) -> None:
    """An update to a listed milestone (through `record_update`) answers Khon Kaen's round:
    no reminder, no executive, never silent; Yala, which did not answer, goes on."""
    tally = await ask(seeded_database, texts)
    kk_round = next(r for r in tally.rounds if r.milestone_ids[0] == teams.kk_needs).id
    async with seeded_database.sessions() as session, session.begin():
        city = await city_of(session=session, slug="khon-kaen")
        await record_update(
            session=session,
            organisation=city,
            milestone=await milestone_of(
                session=session, organisation_id=city.id, milestone_id=teams.kk_pmc
            ),
            status=MilestoneStatus.IN_PROGRESS,
            percent=25,
            note=None,
            evidence=None,
            author=await session.get_one(Member, teams.kk_officers[0]),
            identity_id=None,
            channel=Channel.TELEGRAM,
            now=bangkok(5, 10),
            outreach=report_outreach(texts),
            via="chat",
        )
    for now in (bangkok(6, 9, 5), bangkok(8, 9, 5), bangkok(11, 9)):
        await escalate(seeded_database, texts, now)
    keys = (await outbox(seeded_database.sessions, f"checkin:{kk_round}:")).keys()
    assert len(keys) == 4  # the round's own four messages
    assert not [key for key in keys if ":officers:" in key or ":executive:" in key]
    async with seeded_database.sessions() as session:
        answered = await session.get_one(CheckinRound, kk_round)
        yala = await session.scalar(
            select(CheckinRound).where(
                CheckinRound.organisation_id == (await city_of(session=session, slug="yala")).id
            )
        )
    assert answered.answered_at == bangkok(5, 10)
    assert (answered.officers_reminded_at, answered.silent_at) == (None, None)
    assert yala is not None and yala.executive_reminded_at == bangkok(8, 9, 5)
    assert yala.silent_at == bangkok(11, 9)


async def test_run_due_catches_up_a_missed_round_once_within_a_day(
    seeded_database: Database, texts: Texts, teams: Teams
) -> None:
    """Down at 09:00, back at 10:30: the round goes out then, once; a day late it is skipped."""
    late = await due(seeded_database, texts, CRON, bangkok(5, 9, 1))
    assert (late.round, late.rounds) == (0, [])
    caught = await due(seeded_database, texts, CRON, bangkok(4, 10, 30))
    twice = await due(seeded_database, texts, CRON, bangkok(4, 10, 35))
    assert caught.round == 5
    assert {r.round_at for r in caught.rounds} == {ROUND_AT}
    assert {r.asked_at for r in caught.rounds} == {bangkok(4, 10, 30)}
    assert (twice.round, twice.officers, twice.rounds) == (0, 0, [])
