"""Issue 12: bad input in an update is explained and the step stays; commands and time end it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.payloads import Command
from bot.core.texts import Texts
from db.enums import Channel, MilestoneStatus, Role
from handlers.progress.payloads import PercentPicked, StatusPicked, UpdateMilestone
from tests.chatdriver import ChatDriver
from tests.conftest import Database
from tests.handlers.progress_kit import (
    PlatformFiles,
    Register,
    milestone,
    progress_dispatcher,
    reports,
    send_file,
    step_of,
)
from tests.media_samples import exe, png

ABANDONED = "ℹ️ การรายงานความคืบหน้าที่ทำค้างไว้ยังไม่ได้บันทึก"
STALE = "ปุ่มนี้ใช้ไม่ได้แล้ว"
MB = 1_048_576


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, tmp_path: Path
) -> Dispatcher:
    """The real dispatcher; evidence files of at most 1 MB."""
    return progress_dispatcher(
        seeded_database, texts, clock, tmp_path / "media", citybot_media_max_mb=1
    )


@pytest.fixture
async def officer(register: Register) -> ChatDriver:
    """An officer of Khon Kaen on LINE."""
    return await register("khon-kaen", Role.OFFICER, channel=Channel.LINE)


async def start(db: Database, member: ChatDriver, key: str = "area-plan-drafted") -> int:
    """Begin updating a Khon Kaen milestone; its id."""
    milestone_id = (await milestone(db, "khon-kaen", key)).id
    await member.press(UpdateMilestone(milestone_id).pack())
    assert await step_of(db, member) == "progress.status", member.text
    return milestone_id


async def at_evidence(db: Database, member: ChatDriver) -> None:
    """An update up to its evidence step."""
    await start(db, member)
    await member.choose("🔵 กำลังดำเนินการ")
    await member.send("40")
    await member.choose("ข้าม")
    assert await step_of(db, member) == "progress.evidence"


async def refused(db: Database, member: ChatDriver, typed: str, said: str, step: str) -> None:
    """`typed` is explained with `said`, the question comes again, the step stays."""
    await member.send(typed)
    assert said in member.text, member.text
    assert member.options(), "the step's buttons come again"
    assert await step_of(db, member) == step


async def test_a_percent_must_be_a_number_from_0_to_100(
    officer: ChatDriver, seeded_database: Database
) -> None:
    """Over 100, negative, words, a made-up button: each said, nothing saved."""
    milestone_id = await start(seeded_database, officer)
    await officer.choose("🚧 ติดปัญหา")
    step = "progress.percent"
    await refused(seeded_database, officer, "150", "150% อยู่นอกช่วง", step)
    await refused(seeded_database, officer, "-5", "-5% อยู่นอกช่วง", step)
    await refused(seeded_database, officer, "หกสิบ", "“หกสิบ” ไม่ใช่ตัวเลข", step)
    await refused(seeded_database, officer, "ล่าช้า", "“ล่าช้า” ไม่ใช่ตัวเลข", step)  # not /behind
    await officer.press(PercentPicked(milestone_id, 500).pack())
    assert "500% อยู่นอกช่วง" in officer.text
    assert await step_of(seeded_database, officer) == step
    await officer.send("ร้อยละ ๓๕")
    assert await step_of(seeded_database, officer) == "progress.note"
    assert await reports(seeded_database) == []


async def test_an_unknown_status_a_long_note_and_a_bad_link_are_refused(
    officer: ChatDriver, seeded_database: Database
) -> None:
    """Each is said in the member's language and asked again; a typed status name is taken."""
    await start(seeded_database, officer)
    await refused(seeded_database, officer, "maybe", "ไม่รู้จักสถานะ “maybe”", "progress.status")
    await officer.send("in progress")
    assert await step_of(seeded_database, officer) == "progress.percent"
    await officer.send("50")
    await refused(seeded_database, officer, "ก" * 1001, "บันทึกยาวเกิน 1,000 ตัวอักษร", "progress.note")
    await officer.send("ก" * 1000)
    await refused(
        seeded_database, officer, "ftp://files.example/x", "ลิงก์นี้ใช้ไม่ได้", "progress.evidence"
    )
    await refused(seeded_database, officer, "ดูในไลน์กลุ่ม", "ลิงก์นี้ใช้ไม่ได้", "progress.evidence")
    await officer.send("/lang en")
    await start(seeded_database, officer)
    await refused(seeded_database, officer, "soon", "“soon” is not a status", "progress.status")
    await officer.send("เสร็จแล้ว")  # a status's Thai name, from an English reader too
    assert await step_of(seeded_database, officer) == "progress.note"
    assert await reports(seeded_database) == []


async def test_evidence_too_big_of_an_unknown_type_or_gone_is_refused(
    officer: ChatDriver, seeded_database: Database, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    """Files over the cap, not a photo or document, or not fetchable: said; a good one taken."""
    line = PlatformFiles(
        {
            "big": b"\x89PNG\r\n\x1a\n" + b"\0" * MB,
            "program": exe(),
            "photo": png(),
        }
    )
    dispatcher.services.files.register(Channel.LINE, line)
    await at_evidence(seeded_database, officer)
    for file_ref, said in (
        ("big", "ไฟล์ใหญ่เกิน 1 MB"),
        ("program", "รับเฉพาะรูปภาพ (JPEG, PNG, WebP, GIF, HEIC) หรือไฟล์ PDF"),
        ("gone", "ดึงไฟล์จากแชตไม่ได้"),
    ):
        await send_file(officer, file_ref)
        assert said in officer.text, officer.text
        assert await step_of(seeded_database, officer) == "progress.evidence"
    assert not (tmp_path / "media").exists()  # nothing refused was kept
    await send_file(officer, "photo")
    assert await step_of(seeded_database, officer) == "progress.confirm"
    assert await reports(seeded_database) == []


async def test_a_file_before_the_evidence_step_waits_its_turn(
    officer: ChatDriver, seeded_database: Database, dispatcher: Dispatcher
) -> None:
    """A photo at the status question is not fetched; the question comes again."""
    line = PlatformFiles({"photo": png()})
    dispatcher.services.files.register(Channel.LINE, line)
    await start(seeded_database, officer)
    await send_file(officer, "photo")
    assert "ยังไม่ถึงขั้นแนบหลักฐาน" in officer.text
    assert "สถานะล่าสุดเป็นอย่างไร" in officer.text
    assert line.fetched == []


async def test_another_citys_milestone_or_an_unknown_one_cannot_be_updated(
    officer: ChatDriver, seeded_database: Database
) -> None:
    """A button naming Phuket's milestone: not your city; a key that does not exist: said."""
    phuket = await milestone(seeded_database, "phuket", "pmc-established")
    await officer.press(UpdateMilestone(phuket.id).pack())
    assert officer.text == ("รายการนี้เป็นของเมืองอื่น คุณรายงานความคืบหน้าได้เฉพาะรายการของจังหวัดขอนแก่น")
    assert await step_of(seeded_database, officer) is None
    await officer.send("/progress smart-toilets")
    assert "ไม่พบรายการ “smart-toilets” ในแผนของเมืองคุณ" in officer.text
    assert "📊 ความคืบหน้าของจังหวัดขอนแก่น" in officer.text
    await officer.send("/progress pmc-established")  # a key that exists starts its update
    assert "จัดตั้งคณะกรรมการบริหารโครงการ" in officer.text
    assert await step_of(seeded_database, officer) == "progress.status"
    await officer.press(StatusPicked(phuket.id, MilestoneStatus.DONE).pack())
    assert officer.text.startswith(STALE)  # a button of no update of theirs
    assert await step_of(seeded_database, officer) == "progress.status"  # theirs goes on
    assert await reports(seeded_database) == []
    assert (await milestone(seeded_database, "phuket", "pmc-established")).percent == 0


@pytest.mark.parametrize(
    ("interruption", "answer"),
    [
        ("/whoami", "เจ้าหน้าที่เมือง"),
        ("เอกสาร", "เอกสาร"),
        (Command("lang").pack(), "ภาษา"),
        ("/progress", "📊 ความคืบหน้าของจังหวัดขอนแก่น"),
    ],
    ids=["command", "keyword", "menu-button", "restart"],
)
async def test_a_command_mid_update_abandons_it_politely(
    officer: ChatDriver, seeded_database: Database, interruption: str, answer: str
) -> None:
    """One line that the update was not saved, then the command's own answer; the flow is over."""
    await at_evidence(seeded_database, officer)
    if interruption.startswith("cmd:"):
        await officer.press(interruption)
    else:
        await officer.send(interruption)
    assert officer.text.startswith(ABANDONED + "\n"), officer.text
    assert answer in officer.text
    assert await step_of(seeded_database, officer) is None
    await officer.send("https://khonkaen.example/late")  # no longer an answer to anything
    assert "ตรวจสอบก่อนบันทึก" not in officer.text
    assert await reports(seeded_database) == []


async def test_an_update_expires_after_30_minutes_and_its_buttons_say_so(
    officer: ChatDriver, seeded_database: Database, clock: FrozenClock
) -> None:
    """Each answer keeps it 30 more minutes; after 30 idle minutes a button says it expired."""
    milestone_id = await start(seeded_database, officer)
    clock.advance(timedelta(minutes=29))
    await officer.choose("🔵 กำลังดำเนินการ")
    clock.advance(timedelta(minutes=29))
    await officer.choose("75%")
    assert await step_of(seeded_database, officer) == "progress.note"
    clock.advance(timedelta(minutes=31))
    await officer.press(PercentPicked(milestone_id, 50).pack())
    assert officer.text == (
        f"{STALE} เพราะการรายงานนั้นจบไปแล้ว (บันทึก ยกเลิก หรือไม่มีการตอบเกิน 30 นาที) "
        "พิมพ์ /progress เพื่อรายงานใหม่"
    )
    await officer.send("a note nobody asks for any more")
    assert STALE not in officer.text  # typed text is no longer the flow's
    assert await reports(seeded_database) == []
    assert (await milestone(seeded_database, "khon-kaen", "area-plan-drafted")).percent == 0


async def test_buttons_of_an_update_that_is_over_change_nothing(
    officer: ChatDriver, seeded_database: Database
) -> None:
    """Confirm pressed twice saves once; a button of an earlier update leaves the new one be."""
    first = await start(seeded_database, officer, "pmc-established")
    await officer.choose("✅ เสร็จแล้ว")
    await officer.choose("ข้าม")
    await officer.choose("ข้าม")
    confirm = next(o.payload for o in officer.options() if o.label == "ยืนยัน")
    await officer.press(confirm)
    await officer.press(confirm)
    assert officer.text.startswith(STALE)
    assert len(await reports(seeded_database)) == 1
    second = await start(seeded_database, officer, "policy-announced")
    await officer.press(StatusPicked(first, MilestoneStatus.BLOCKED).pack())
    assert officer.text.startswith(STALE)
    await officer.press(StatusPicked(second, MilestoneStatus.BLOCKED).pack())  # still works
    assert await step_of(seeded_database, officer) == "progress.percent"
    await officer.press(StatusPicked(first, MilestoneStatus.BLOCKED).pack())
    assert await step_of(seeded_database, officer) == "progress.percent"
    assert (await milestone(seeded_database, "khon-kaen", "pmc-established")).percent == 100
