"""Issue 12: a city's progress in chat, and a guided update saved as one report, the team told."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.texts import Texts
from db.enums import Channel, MilestoneStatus, Role
from handlers.progress.payloads import UpdateMilestone
from tests.chatdriver import ChatDriver
from tests.conftest import START, Database
from tests.handlers.progress_kit import (
    PlatformFiles,
    Register,
    bind_group,
    identity_of,
    milestone,
    progress_dispatcher,
    pushed,
    reports,
    send_file,
    step_of,
    words,
)
from tests.media_samples import png


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """Where this test's evidence files go."""
    return tmp_path / "media"


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, media_dir: Path
) -> Dispatcher:
    """The real dispatcher, pushing on LINE and Telegram, evidence under `media_dir`."""
    return progress_dispatcher(seeded_database, texts, clock, media_dir)


async def choose_milestone(db: Database, member: ChatDriver, org: str, key: str) -> None:
    """Open /progress and press the update button of milestone `key`."""
    await member.send("/progress")
    wanted = UpdateMilestone((await milestone(db, org, key)).id).pack()
    assert wanted in [option.payload for option in member.options()], member.text
    await member.press(wanted)


async def update(
    db: Database,
    member: ChatDriver,
    key: str,
    status: str,
    *answers: str,
    org: str = "khon-kaen",
) -> None:
    """A whole update: the milestone, a status button, typed answers (or buttons), confirm."""
    await choose_milestone(db, member, org, key)
    await member.choose(status)
    for answer in answers:
        if answer in [option.label for option in member.options()]:
            await member.choose(answer)
        else:
            await member.send(answer)
    await member.choose("ยืนยัน")
    assert "✅ บันทึกความคืบหน้าแล้ว" in member.text, member.text


async def test_a_guided_update_is_one_report_of_who_where_and_old_to_new(
    register: Register, seeded_database: Database
) -> None:
    """Status → percent in Thai digits → note → link → summary → confirm: one row, moved."""
    officer = await register("khon-kaen", Role.OFFICER, channel=Channel.LINE, display_name="สมศรี")
    await officer.send("/progress")
    assert officer.text.startswith("📊 ความคืบหน้าของจังหวัดขอนแก่น\nเสร็จแล้ว 0/10 รายการ")
    assert "1. จัดตั้งคณะกรรมการบริหารโครงการ (Project Management Committee)" in officer.text
    assert "⚪ ยังไม่เริ่ม 0% · กำหนด 29 ม.ค. 2570 (อีก 66 วัน)" in officer.text
    assert "ยังไม่มีการอัปเดต" in officer.text
    assert len(officer.options()) == 10  # ten milestones: one page of buttons

    await choose_milestone(seeded_database, officer, "khon-kaen", "area-plan-drafted")
    assert "สถานะล่าสุดเป็นอย่างไร" in officer.text
    await officer.choose("🔵 กำลังดำเนินการ")
    assert "กี่เปอร์เซ็นต์" in officer.text
    assert [o.label for o in officer.options()] == ["25%", "50%", "75%", "100%", "ยกเลิก"]
    await officer.send("๖๐")
    assert "พิมพ์บันทึกสั้น ๆ" in officer.text
    await officer.send("ประชุมคณะทำงานครั้งแรกแล้ว")
    assert "แนบหลักฐาน" in officer.text
    await officer.send("https://khonkaen.example/minutes.pdf")
    assert "สถานะ: ⚪ ยังไม่เริ่ม 0% → 🔵 กำลังดำเนินการ 60%" in officer.text
    assert "บันทึก: ประชุมคณะทำงานครั้งแรกแล้ว" in officer.text
    assert "หลักฐาน: https://khonkaen.example/minutes.pdf" in officer.text
    assert await reports(seeded_database) == []  # nothing before Confirm

    await officer.choose("ยืนยัน")
    assert "✅ บันทึกความคืบหน้าแล้ว: จัดทำแผนพัฒนาเมืองอัจฉริยะระดับพื้นที่" in officer.text
    (report,) = await reports(seeded_database)
    identity = await identity_of(seeded_database, officer)
    moved = await milestone(seeded_database, "khon-kaen", "area-plan-drafted")
    assert (report.member_id, report.identity_id, report.channel) == (
        identity.member_id,
        identity.id,
        Channel.LINE,
    )
    assert (report.previous_status, report.previous_percent) == (MilestoneStatus.NOT_STARTED, 0)
    assert (report.status, report.percent) == (MilestoneStatus.IN_PROGRESS, 60)
    assert report.note == "ประชุมคณะทำงานครั้งแรกแล้ว"
    assert report.evidence_url == "https://khonkaen.example/minutes.pdf"
    assert report.reported_at == START and report.milestone_id == moved.id
    assert (moved.status, moved.percent, moved.last_update_at) == (
        MilestoneStatus.IN_PROGRESS,
        60,
        START,
    )
    assert moved.last_update_member_id == identity.member_id
    assert await step_of(seeded_database, officer) is None

    await officer.send("/progress")
    assert "🔵 กำลังดำเนินการ 60%" in officer.text
    assert "อัปเดตล่าสุด: สมศรี · 24 พ.ย. 2569 10:00 น." in officer.text


async def test_a_photo_as_evidence_is_kept_on_disk_and_named_in_the_report(
    register: Register, seeded_database: Database, dispatcher: Dispatcher, media_dir: Path
) -> None:
    """Done skips the percent; a photo fetched from the platform is stored, its path saved."""
    telegram = PlatformFiles({"AgADBAAD-photo": png()})
    dispatcher.services.files.register(Channel.TELEGRAM, telegram)
    executive = await register("khon-kaen", Role.EXECUTIVE, channel=Channel.TELEGRAM)
    await choose_milestone(seeded_database, executive, "khon-kaen", "pmc-established")
    await executive.choose("✅ เสร็จแล้ว")
    assert "พิมพ์บันทึกสั้น ๆ" in executive.text  # done is 100 %: no percent step
    await executive.choose("ข้าม")
    await send_file(executive, "AgADBAAD-photo")
    assert telegram.fetched == ["AgADBAAD-photo"]
    assert "สถานะ: ⚪ ยังไม่เริ่ม 0% → ✅ เสร็จแล้ว 100%" in executive.text
    assert "หลักฐาน: ไฟล์ image/png ขนาด 1 KB" in executive.text
    await executive.choose("ยืนยัน")

    (report,) = await reports(seeded_database)
    assert (report.status, report.percent, report.note) == (MilestoneStatus.DONE, 100, None)
    assert report.evidence_type == "image/png"
    assert report.evidence_bytes == len(png())
    assert report.evidence_path is not None
    assert report.evidence_path.startswith("progress/khon-kaen/")
    assert (media_dir / report.evidence_path).read_bytes() == png()


async def test_the_team_and_its_group_hear_of_a_change_and_the_author_does_not(
    register: Register, seeded_database: Database
) -> None:
    """One short notice to the city's other members and bound groups; none to other cities."""
    officer = await register("khon-kaen", Role.OFFICER, channel=Channel.LINE, display_name="สมศรี")
    executive = await register("khon-kaen", Role.EXECUTIVE, channel=Channel.TELEGRAM)
    await executive.send("/lang en")
    elsewhere = await register("phuket", Role.OFFICER, channel=Channel.LINE)
    group = await bind_group(seeded_database, "khon-kaen", "C" + "1" * 32)

    await update(
        seeded_database, officer, "area-plan-drafted", "🔵 กำลังดำเนินการ", "50%", "ข้าม", "ข้าม"
    )
    (report,) = await reports(seeded_database)
    rows = await pushed(seeded_database)
    executive_id = (await identity_of(seeded_database, executive)).member_id
    to_executive = f"progress.team:{report.id}:m{executive_id}"
    to_group = f"progress.team:{report.id}:c{group.id}"
    assert sorted(row.idempotency_key for row in rows) == sorted([to_executive, to_group])
    recipients = [recipient for row in rows for recipient in row.recipients]
    assert officer.user_id not in recipients and elsewhere.user_id not in recipients
    said = {row.idempotency_key: words(row) for row in rows}
    assert said[to_executive] == (
        "📌 สมศรี updated “Area-level smart-city plan drafted”: not started 0% → in progress 50%"
    )
    assert said[to_group] == (
        "📌 สมศรี อัปเดต “จัดทำแผนพัฒนาเมืองอัจฉริยะระดับพื้นที่”: ยังไม่เริ่ม 0% → กำลังดำเนินการ 50%"
    )


async def test_done_is_celebrated_once_however_often_it_is_marked_done(
    register: Register, seeded_database: Database
) -> None:
    """Done, back in progress, done again: one celebration for each of the team."""
    officer = await register("yala", Role.OFFICER, channel=Channel.LINE)
    executive = await register("yala", Role.EXECUTIVE, channel=Channel.LINE)
    for status, answers in (
        ("✅ เสร็จแล้ว", ("ข้าม", "ข้าม")),
        ("🔵 กำลังดำเนินการ", ("90%", "ข้าม", "ข้าม")),
        ("✅ เสร็จแล้ว", ("ข้าม", "ข้าม")),
    ):
        await update(seeded_database, officer, "pmc-established", status, *answers, org="yala")
    assert len(await reports(seeded_database)) == 3
    celebrations = await pushed(seeded_database, "progress.done:")
    executive_id = (await identity_of(seeded_database, executive)).member_id
    ms = await milestone(seeded_database, "yala", "pmc-established")
    assert [row.idempotency_key for row in celebrations] == [
        f"progress.done:{ms.id}:m{executive_id}"
    ]
    assert words(celebrations[0]).startswith("🎉 ยินดีด้วย! จังหวัดยะลา")


async def test_a_blocked_milestone_tells_depas_coordinators_with_the_note(
    register: Register, seeded_database: Database
) -> None:
    """Blocked: the coordinator hears which city, which milestone, and the note saying why."""
    coordinator = await register("depa", Role.COORDINATOR, channel=Channel.TELEGRAM)
    officer = await register("krabi", Role.OFFICER, channel=Channel.LINE)
    await update(
        seeded_database,
        officer,
        "community-needs-analysed",
        "🚧 ติดปัญหา",
        "25%",
        "รองบประมาณจากสภาเมือง",
        "ข้าม",
        org="krabi",
    )
    (report,) = await reports(seeded_database)
    assert (report.status, report.percent) == (MilestoneStatus.BLOCKED, 25)
    coordinator_id = (await identity_of(seeded_database, coordinator)).member_id
    (told,) = await pushed(seeded_database, "progress.blocked:")
    assert told.idempotency_key == f"progress.blocked:{report.id}:m{coordinator_id}"
    assert told.recipients == [coordinator.user_id]
    assert "จังหวัดกระบี่" in words(told)
    assert "หมายเหตุ: รองบประมาณจากสภาเมือง" in words(told)


async def test_edit_goes_back_to_the_status_keeping_what_was_chosen(
    register: Register, seeded_database: Database
) -> None:
    """Edit: the status again, then the same percent, note and link offered to keep; cancel."""
    officer = await register("songkhla", Role.OFFICER)
    await choose_milestone(seeded_database, officer, "songkhla", "policy-announced")
    await officer.choose("🔵 กำลังดำเนินการ")
    await officer.send("60 %")
    await officer.send("ร่างประกาศแล้ว")
    await officer.send("https://songkhla.example/draft")
    await officer.choose("แก้ไข")
    assert "(ที่เลือกไว้: 🔵 กำลังดำเนินการ)" in officer.text
    await officer.choose("🔵 กำลังดำเนินการ")
    assert [o.label for o in officer.options()] == ["60%", "25%", "50%", "75%", "100%", "ยกเลิก"]
    await officer.choose("60%")
    assert "บันทึกที่พิมพ์ไว้: ร่างประกาศแล้ว" in officer.text
    await officer.choose("ใช้ตามเดิม")
    assert "หลักฐานที่แนบไว้: https://songkhla.example/draft" in officer.text
    await officer.choose("ใช้ตามเดิม")
    assert "บันทึก: ร่างประกาศแล้ว\nหลักฐาน: https://songkhla.example/draft" in officer.text
    await officer.choose("ยกเลิก")
    assert officer.text == "ยกเลิกแล้ว ไม่ได้บันทึกอะไร"
    assert await reports(seeded_database) == []
    assert await step_of(seeded_database, officer) is None


async def test_dates_are_buddhist_era_in_thai_and_gregorian_in_english(
    register: Register, clock: FrozenClock
) -> None:
    """Due days in each reader's calendar; due today and overdue are said as such."""
    thai = await register("bangkok", Role.EXECUTIVE)
    english = await register("bangkok", Role.OFFICER)
    await english.send("/lang en")
    await english.send("/progress")
    assert "⚪ not started 0% · due 29 Jan 2027 (66 days left)" in english.text
    assert "Not updated yet" in english.text
    clock.advance(timedelta(days=66))
    await thai.send("/progress")
    assert "กำหนด 29 ม.ค. 2570 (ครบกำหนดวันนี้)" in thai.text
    clock.advance(timedelta(days=1))
    await english.send("/progress")
    assert "due 29 Jan 2027 (⚠️ 1 day overdue)" in english.text
    await thai.send("/progress")
    assert "กำหนด 29 ม.ค. 2570 (⚠️ เลยกำหนด 1 วัน)" in thai.text
