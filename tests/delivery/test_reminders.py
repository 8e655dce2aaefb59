"""Deadline reminders with a controlled clock: only the cities that still owe a stage hear of it,
the countdown says the truth, the night waits, a backlog collapses, nothing goes out twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.core.payloads import Command
from bot.core.texts import Texts
from db.enums import Language, ReminderStatus, Role
from db.models import Deadline
from tests.conftest import Database
from tests.delivery.reminder_kit import (
    FOURTEEN_DAYS,
    ONE_DAY,
    THREE_DAYS,
    bangkok,
    deadline_of,
    group_chat,
    outbox,
    reminders_of,
    run,
    submit,
)
from tests.factories import add_member, line, telegram

RULES = "https://materials.test/citybot/competition-2027/rules.pdf"
KK_GROUP = "C" + "0" * 31 + "7"
KRABI_GROUP = "C" + "0" * 31 + "8"


@pytest.fixture
async def teams(seeded_database: Database) -> dict[str, int]:
    """Khon Kaen (executive on LINE in Thai, officer on Telegram in English, a LINE group),
    Yala's officer, Krabi's executive and group, depa's coordinator; ids by name."""
    async with seeded_database.sessions() as session, session.begin():
        ids = {
            "kk_exec": (await add_member(session, "khon-kaen", Role.EXECUTIVE, [line("1")])).id,
            "kk_officer": (
                await add_member(
                    session, "khon-kaen", Role.OFFICER, [telegram("2")], language=Language.EN
                )
            ).id,
            "yala": (await add_member(session, "yala", Role.OFFICER, [line("3")])).id,
            "krabi": (await add_member(session, "krabi", Role.EXECUTIVE, [telegram("4")])).id,
            "depa": (await add_member(session, "depa", Role.COORDINATOR, [telegram("5")])).id,
            "kk_chat": (await group_chat(session, "khon-kaen", KK_GROUP)).id,
            "krabi_chat": (await group_chat(session, "krabi", KRABI_GROUP)).id,
        }
        reminders = await reminders_of(session, "registration")
        ids.update({f"r{days}": reminder.id for days, reminder in reminders.items()})
    return ids


async def test_only_cities_that_have_not_submitted_are_reminded(
    seeded_database: Database, texts: Texts, teams: dict[str, int]
) -> None:
    """Krabi handed registration in: its executive and group hear nothing, nor does depa. Khon
    Kaen's two people (each in their language) and group, and Yala's officer, do. Yala then
    hands in too (its earlier, replaced submission did not count): the 3-day reminder goes to
    Khon Kaen alone."""
    async with seeded_database.sessions() as session, session.begin():
        await submit(session, "krabi", "registration")
        await submit(session, "yala", "registration", replaced=FOURTEEN_DAYS)

    done = await run(seeded_database, texts, FOURTEEN_DAYS)

    tag = f"reminder:{teams['r14']}"
    assert (done.sent, done.skipped, done.queued) == (1, 0, 4)
    rows = await outbox(seeded_database)
    assert set(rows) == {
        f"{tag}:m{teams['kk_exec']}",
        f"{tag}:m{teams['kk_officer']}",
        f"{tag}:m{teams['yala']}",
        f"{tag}:c{teams['kk_chat']}",
    }
    thai, english = rows[f"{tag}:m{teams['kk_exec']}"], rows[f"{tag}:m{teams['kk_officer']}"]
    assert thai["text"] == (
        "⏰ แจ้งเตือน: ลงทะเบียนสมัครเข้าร่วมประกวด ของการประกวดแผนพัฒนาเมืองอัจฉริยะ "
        "ครบกำหนด 26 ก.พ. 2570 16:30 น. (อีก 14 วัน)"
    )
    assert english["text"] == (
        "⏰ Reminder: Registration of the Smart City Plan Competition is due "
        "26 Feb 2027, 16:30 (14 days left)"
    )
    assert rows[f"{tag}:c{teams['kk_chat']}"] == thai
    [card] = thai["cards"]
    assert card["title"] == "ลงทะเบียนสมัครเข้าร่วมประกวด"
    assert [(b["label"], b["payload"], b["url"]) for b in card["buttons"]] == [
        ("ส่งงานประกวด", Command("submit").pack(), None),  # the /submit command's own label
        ("อ่านกติกา", None, RULES),
    ]
    assert [b["label"] for b in english["cards"][0]["buttons"]] == ["Submit entry", "Rules"]

    async with seeded_database.sessions() as session, session.begin():
        await submit(session, "yala", "registration")
    done = await run(seeded_database, texts, THREE_DAYS)

    assert (done.sent, done.queued) == (1, 3)
    later = set(await outbox(seeded_database)) - set(rows)
    assert {key.rsplit(":", 1)[1] for key in later} == {
        f"m{teams['kk_exec']}",
        f"m{teams['kk_officer']}",
        f"c{teams['kk_chat']}",
    }


async def test_one_day_before_says_tomorrow_at_the_due_time(
    seeded_database: Database, texts: Texts, teams: dict[str, int]
) -> None:
    """The 1-day reminder says `พรุ่งนี้ 16:30 น.` / `tomorrow 16:30`, never `0 days`."""
    await run(seeded_database, texts, THREE_DAYS)
    await run(seeded_database, texts, ONE_DAY)

    rows = await outbox(seeded_database)
    tag = f"reminder:{teams['r1']}"
    assert rows[f"{tag}:m{teams['kk_exec']}"]["text"].endswith("(พรุ่งนี้ 16:30 น.)")
    assert rows[f"{tag}:m{teams['kk_officer']}"]["text"].endswith("(tomorrow 16:30)")
    assert rows[f"reminder:{teams['r3']}:m{teams['yala']}"]["text"].endswith("(อีก 3 วัน)")


async def test_a_stage_without_submissions_reminds_every_city(
    seeded_database: Database, texts: Texts, teams: dict[str, int]
) -> None:
    """Pitching takes nothing in: every city's team hears of it, with the rules and no submit
    button, even a city that (somehow) has a submission for it."""
    async with seeded_database.sessions() as session, session.begin():
        await submit(session, "krabi", "pitching")
        await session.execute(
            update(Deadline).where(Deadline.slug == "pitching").values(accepts_submissions=False)
        )
        pitching = await reminders_of(session, "pitching")

    done = await run(seeded_database, texts, bangkok(9, 8, 9, 0))

    tag = f"reminder:{pitching[7].id}"
    rows = await outbox(seeded_database)
    assert done.queued == 6
    assert {key.removeprefix(f"{tag}:") for key in rows} == {
        *(f"m{teams[name]}" for name in ("kk_exec", "kk_officer", "yala", "krabi")),
        *(f"c{teams[name]}" for name in ("kk_chat", "krabi_chat")),
    }
    [card] = rows[f"{tag}:m{teams['krabi']}"]["cards"]
    assert [b["label"] for b in card["buttons"]] == ["อ่านกติกา"]
    assert "(อีก 7 วัน)" in rows[f"{tag}:m{teams['krabi']}"]["text"]


async def test_a_reminder_due_at_night_goes_at_eight(
    seeded_database: Database, texts: Texts, teams: dict[str, int]
) -> None:
    """A reminder due at 22:00 is held through the night (still pending) and sent at 08:00,
    counting from then."""
    async with seeded_database.sessions() as session, session.begin():
        reminder = (await reminders_of(session, "registration"))[1]
        reminder.remind_at = bangkok(2, 25, 22, 0)
    await run(seeded_database, texts, THREE_DAYS)

    for night in (bangkok(2, 25, 22, 0), bangkok(2, 26, 3, 0), bangkok(2, 26, 7, 59)):
        assert (await run(seeded_database, texts, night)).sent == 0
    async with seeded_database.sessions() as session:
        assert (await reminders_of(session, "registration"))[1].status is ReminderStatus.PENDING
    morning = await run(seeded_database, texts, bangkok(2, 26, 8, 0))

    assert (morning.sent, morning.queued) == (1, 6)
    rows = await outbox(seeded_database)
    assert rows[f"reminder:{teams['r1']}:m{teams['kk_exec']}"]["text"].endswith("(วันนี้ 16:30 น.)")


async def test_after_downtime_only_the_latest_reminder_of_a_stage_goes(
    seeded_database: Database, texts: Texts, teams: dict[str, int]
) -> None:
    """Down from before the 3-day reminder until after the 1-day one: only the 1-day one is
    sent, the 3-day one is cancelled without a message. Down until after the stage is due:
    nothing at all is sent, every reminder of it cancelled."""
    await run(seeded_database, texts, FOURTEEN_DAYS)
    done = await run(seeded_database, texts, ONE_DAY + timedelta(hours=1))

    assert (done.sent, done.skipped, done.queued) == (1, 1, 6)
    keys = set(await outbox(seeded_database))
    assert not any(key.startswith(f"reminder:{teams['r3']}:") for key in keys)
    async with seeded_database.sessions() as session:
        reminders = await reminders_of(session, "registration")
    assert {days: (r.status, r.sent_at) for days, r in reminders.items()} == {
        14: (ReminderStatus.SENT, FOURTEEN_DAYS),
        3: (ReminderStatus.CANCELLED, None),
        1: (ReminderStatus.SENT, ONE_DAY + timedelta(hours=1)),
    }

    async with seeded_database.sessions() as session, session.begin():
        concept = await reminders_of(session, "concept-note")
    late = await run(seeded_database, texts, bangkok(5, 1, 9, 0))
    assert (late.sent, late.skipped, late.queued) == (0, 3, 0)
    async with seeded_database.sessions() as session:
        after = await reminders_of(session, "concept-note")
    assert {r.status for r in after.values()} == {ReminderStatus.CANCELLED}
    assert set(after) == set(concept) == {14, 3, 1}


async def test_running_twice_sends_nothing_twice(
    seeded_database: Database, texts: Texts, teams: dict[str, int]
) -> None:
    """A second run at the same time, or later, queues nothing more."""
    first = await run(seeded_database, texts, FOURTEEN_DAYS)
    again = await run(seeded_database, texts, FOURTEEN_DAYS)
    later = await run(seeded_database, texts, FOURTEEN_DAYS + timedelta(days=1))

    assert (first.queued, again.queued, later.queued) == (6, 0, 0)
    assert len(await outbox(seeded_database)) == 6


@pytest.mark.parametrize("seeded_database_url", ["postgres"], indirect=True)
async def test_two_schedulers_at_once_send_once(
    seeded_database: Database, texts: Texts, teams: dict[str, int]
) -> None:
    """Two processes' runs at the same moment: the claim lets one send, the other finds none."""
    runs = await asyncio.gather(*(run(seeded_database, texts, ONE_DAY) for _ in range(2)))

    assert sorted((done.sent, done.skipped, done.queued) for done in runs) == [
        (0, 0, 0),
        (1, 2, 6),
    ]
    assert len(await outbox(seeded_database)) == 6


async def test_deadline_kept_fresh_for_the_message(
    seeded_database: Database, texts: Texts, teams: dict[str, int]
) -> None:
    """The message shows the stage's due time as stored when it is sent."""
    async with seeded_database.sessions() as session, session.begin():
        deadline = await deadline_of(session, "registration")
        deadline.due_at = deadline.due_at + timedelta(days=1)
    await run(seeded_database, texts, FOURTEEN_DAYS)

    text = (await outbox(seeded_database))[f"reminder:{teams['r14']}:m{teams['yala']}"]["text"]
    assert text.endswith("27 ก.พ. 2570 16:30 น. (อีก 15 วัน)")
