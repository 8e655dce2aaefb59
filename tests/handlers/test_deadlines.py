"""Issue 13: `/deadlines` for a city and for depa with a controlled clock, in Thai and English."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.core.clock import FrozenClock
from db.enums import MilestoneStatus, Role
from db.models import Milestone, Organisation, Plan
from tests.conftest import Database
from tests.handlers.progress_kit import Register, add_partner_firm
from tests.handlers.submissions_kit import bangkok, hand_in, set_clock


async def test_a_city_sees_each_stage_with_its_countdown_and_its_own_state(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """Due times in Buddhist-Era dates, countdowns as people say them, the city's receipts."""
    officer = await register("khon-kaen", Role.OFFICER)
    await hand_in(seeded_database, "khon-kaen", "registration", "SCP27-KKN-RE-01", clock.now())
    await hand_in(seeded_database, "pattaya", "concept-note", "SCP27-PTY-CN-01", clock.now())
    set_clock(clock, "2027-01-10T10:00")

    await officer.send("กำหนดการ")

    text = officer.text
    assert text.startswith("📅 กำหนดการ: การประกวดแผนพัฒนาเมืองอัจฉริยะ\nกติกาการประกวด: ")
    assert (
        "👉 1. ลงทะเบียนสมัครเข้าร่วมประกวด ← ถัดไป\n"
        "    ครบกำหนด 26 ก.พ. 2570 16:30 น. · อีก 47 วัน\n"
        "    ✅ ส่งแล้ว · เลขที่ SCP27-KKN-RE-01\n\n"
        "2. ส่งแนวคิดโครงการ (Concept Note)\n"
        "    ครบกำหนด 30 เม.ย. 2570 16:30 น. · อีก 110 วัน\n"
        "    ⏳ ยังไม่ได้ส่ง\n\n"
    ) in text  # another city's entry is not this city's
    pitching = "4. นำเสนอแผนต่อคณะกรรมการตัดสิน\n    ครบกำหนด 15 ก.ย. 2570 09:00 น. · อีก 248 วัน"
    assert f"{pitching}\n\n5." in text  # no state for a stage without submissions
    assert "🗂️ รายการในแผนที่ครบกำหนดใน 30 วันข้างหน้า\n• จัดตั้งคณะกรรมการ" in text
    assert "— 29 ม.ค. 2570 (อีก 19 วัน) · ⚪ ยังไม่เริ่ม" in text
    assert [option.label for option in officer.options()] == ["ส่งงานประกวด"]

    set_clock(clock, "2027-02-25T20:00")
    await officer.send("/deadlines")
    assert "26 ก.พ. 2570 16:30 น. · พรุ่งนี้ 16:30 น." in officer.text
    assert "ไม่มีรายการในแผนที่ครบกำหนดใน 30 วันข้างหน้า" in officer.text

    set_clock(clock, "2027-02-26T09:00")
    await officer.send("เดดไลน์")
    assert "26 ก.พ. 2570 16:30 น. · วันนี้ 16:30 น." in officer.text

    set_clock(clock, "2027-05-01T08:00")
    await officer.send("กำหนดส่ง")
    assert (
        "1. ลงทะเบียนสมัครเข้าร่วมประกวด\n    ครบกำหนด 26 ก.พ. 2570 16:30 น. · ปิดแล้ว\n"
        "    ✅ ส่งแล้ว · เลขที่ SCP27-KKN-RE-01\n\n"
        "2. ส่งแนวคิดโครงการ (Concept Note)\n    ครบกำหนด 30 เม.ย. 2570 16:30 น. · ปิดแล้ว\n"
        "    ❗ เลยกำหนด ยังไม่ได้ส่ง"
    ) in officer.text
    assert "👉 3. ส่งแผนพัฒนาเมืองอัจฉริยะฉบับสมบูรณ์ ← ถัดไป" in officer.text


async def test_a_late_entry_shows_as_late_in_english(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """An English reader: Gregorian years, English countdowns, a late entry marked late."""
    executive = await register("pattaya", Role.EXECUTIVE, language="en")
    late = bangkok("2027-03-01T09:00")
    await hand_in(seeded_database, "pattaya", "registration", "SCP27-PTY-RE-01", late, late=True)
    set_clock(clock, "2027-03-15T10:00")

    await executive.send("/deadlines")

    text = executive.text
    assert text.startswith("📅 Smart City Plan Competition: deadlines\n")
    late = "    ⚠️ submitted late · ref. SCP27-PTY-RE-01\n"
    assert f"1. Registration\n    due 26 Feb 2027, 16:30 · closed\n{late}" in text
    assert "👉 2. Concept note ← next\n    due 30 Apr 2027, 16:30 · 46 days left\n" in text
    soon = "• Area-level smart-city plan drafted — 31 Mar 2027 (16 days left) · ⚪ not started"
    assert soon in text


async def test_depa_sees_the_stages_and_how_many_cities_have_a_milestone_open(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """No city state for depa; each milestone due soon once, with the cities not done."""
    coordinator = await register("depa", Role.COORDINATOR, language="en")
    async with seeded_database.sessions() as session, session.begin():
        done = select(Milestone.id).join(Plan).join(Organisation)
        done = done.where(Organisation.slug == "khon-kaen", Milestone.key == "pmc-established")
        await session.execute(
            update(Milestone).where(Milestone.id.in_(done)).values(status=MilestoneStatus.DONE)
        )
    set_clock(clock, "2027-01-10T10:00")

    await coordinator.send("/deadlines")

    text = coordinator.text
    assert "👉 1. Registration ← next\n    due 26 Feb 2027, 16:30 · 47 days left\n\n2." in text
    assert "submitted" not in text and "not submitted" not in text
    assert text.count("• ") == 1
    assert "(19 days left) · 13 cities not done" in text
    assert "Submit entry" not in [option.label for option in coordinator.options()]


async def test_a_partner_sees_the_calendar_without_any_city_state(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """Partners follow the dates; no state, no counts, no submit button."""
    await add_partner_firm(seeded_database)
    partner = await register("test-firm", Role.PARTNER)
    set_clock(clock, "2027-01-10T10:00")

    await partner.send("/deadlines")

    assert "👉 1. ลงทะเบียนสมัครเข้าร่วมประกวด ← ถัดไป" in partner.text
    assert "ส่งแล้ว" not in partner.text and "เมือง ·" not in partner.text
    assert "(อีก 19 วัน)\n" in partner.text + "\n" and "ยังไม่เสร็จ" not in partner.text
    assert partner.options() == []
