"""Issue 15: free text reaches its feature; a report is confirmed before it is saved."""

from __future__ import annotations

import pytest

from db.enums import MilestoneStatus, Role
from handlers.progress.payloads import UpdateMilestone
from tests.chatdriver import ChatDriver
from tests.conftest import Database
from tests.handlers.partners_kit import FIRM, add_firm, add_offer
from tests.handlers.progress_kit import Register, add_partner_firm, milestone, reports, step_of


async def officer_of(register: Register, org: str = "khon-kaen") -> ChatDriver:
    """A city officer, speaking Thai."""
    return await register(org, Role.OFFICER, display_name="สมศรี")


async def test_a_thai_report_is_confirmed_then_saved_as_the_guided_update(
    register: Register, seeded_database: Database
) -> None:
    """ "แผนยุทธศาสตร์ร่างไปได้ 60% แล้วครับ": a one-line confirmation, then one report."""
    officer = await officer_of(register)
    await officer.send("แผนยุทธศาสตร์ร่างไปได้ 60% แล้วครับ")

    assert "บันทึก:" in officer.text
    assert "60%" in officer.text
    assert "ใช่ไหม" in officer.text
    assert [o.label for o in officer.options()] == ["ยืนยัน", "เปลี่ยน", "ยกเลิก"]
    assert await reports(seeded_database) == []  # nothing before Confirm

    await officer.choose("ยืนยัน")
    assert "✅ บันทึกความคืบหน้าแล้ว" in officer.text, officer.text
    [report] = await reports(seeded_database)
    assert (report.status, report.percent) == (MilestoneStatus.IN_PROGRESS, 60)
    stored = await milestone(seeded_database, "khon-kaen", "strategic-plan-drafted")
    assert (stored.status, stored.percent) == (MilestoneStatus.IN_PROGRESS, 60)
    assert report.milestone_id == stored.id


async def test_an_english_report_cancelled_saves_nothing(
    register: Register, seeded_database: Database
) -> None:
    """English words, English confirmation; Cancel leaves the milestone as it was."""
    officer = await officer_of(register, "phuket")
    await officer.send("/lang en")
    await officer.send("The PMC is fully set up now")
    assert "Save:" in officer.text
    assert "100%" in officer.text
    await officer.choose("Cancel")

    assert await reports(seeded_database) == []
    assert await step_of(seeded_database, officer) is None
    stored = await milestone(seeded_database, "phuket", "pmc-established")
    assert stored.status is MilestoneStatus.NOT_STARTED


async def test_change_walks_the_guided_steps_with_what_was_heard(
    register: Register, seeded_database: Database
) -> None:
    """Change goes to the status question of the same milestone's update."""
    officer = await officer_of(register)
    await officer.send("CDP ติดปัญหาเรื่องงบ 30%")
    assert "ติดปัญหา" in officer.text
    await officer.choose("เปลี่ยน")
    assert await step_of(seeded_database, officer) == "progress.status"
    assert await reports(seeded_database) == []


async def test_a_report_without_its_milestone_asks_which(
    register: Register, seeded_database: Database
) -> None:
    """ "ไปได้ครึ่งทางแล้วค่ะ": which milestone? buttons; the pick leads to the confirmation."""
    officer = await officer_of(register)
    await officer.send("ร่างไปได้ครึ่งทางแล้วค่ะ")
    assert "หมุดหมายใด" in officer.text
    assert await step_of(seeded_database, officer) == "progress.pick"
    area = await milestone(seeded_database, "khon-kaen", "area-plan-drafted")
    await officer.press(UpdateMilestone(area.id).pack())
    assert "50%" in officer.text
    await officer.choose("ยืนยัน")
    [report] = await reports(seeded_database)
    assert (report.milestone_id, report.percent) == (area.id, 50)


async def test_a_partner_saying_progress_is_not_a_city_update(
    register: Register, seeded_database: Database
) -> None:
    """Role rules still apply: a firm's "PMC done" gets help, nothing is saved or proposed."""
    await add_partner_firm(seeded_database)
    partner = await register("test-firm", Role.PARTNER)
    await partner.send("ตั้ง PMC เสร็จแล้วค่ะ")
    assert "บันทึก:" not in partner.text
    assert partner.options()  # help with the role's menu
    assert await reports(seeded_database) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ความคืบหน้าของเราถึงไหนแล้วคะ", "📊 ความคืบหน้าของ"),
        ("ส่ง concept note วันไหน", "ส่งแนวคิดโครงการ"),
        ("ขอสไลด์เรื่องพลังงานหน่อย", "พลังงาน"),
        ("ทำอะไรได้บ้าง", "/progress"),
    ],
)
async def test_queries_reach_their_feature(
    register: Register, seeded_database: Database, text: str, expected: str
) -> None:
    """Progress, deadlines, materials and help answer as their commands do."""
    officer = await officer_of(register)
    await officer.send(text)
    assert expected in officer.text, officer.text


async def test_submit_words_start_the_entry_for_the_stage_named(
    register: Register, seeded_database: Database
) -> None:
    """ "ขอส่ง concept note ครับ" from an executive: the concept note's entry is asked for."""
    executive = await register("khon-kaen", Role.EXECUTIVE)
    await executive.send("ขอส่ง concept note ครับ")
    assert await step_of(seeded_database, executive) == "submit.content", executive.text


async def test_depa_asking_about_a_city_sees_that_city(
    register: Register, seeded_database: Database
) -> None:
    """A coordinator's "ความคืบหน้าของโคราช" is that city's detail."""
    coordinator = await register("depa", Role.COORDINATOR)
    await coordinator.send("ความคืบหน้าของโคราชเป็นยังไงบ้าง")
    assert "นครราชสีมา" in coordinator.text, coordinator.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("สวัสดีครับ", "สวัสดีค่ะ"), ("ขอบคุณมากค่ะ", "ยินดีค่ะ"), ("ฟหกดเ่าสวง", "ยังไม่เข้าใจ")],
)
async def test_small_talk_and_nonsense(
    register: Register, seeded_database: Database, text: str, expected: str
) -> None:
    """Greetings and thanks get a short friendly answer; nonsense gets help, nothing saved."""
    officer = await officer_of(register)
    await officer.send(text)
    assert expected in officer.text, officer.text
    assert await reports(seeded_database) == []


async def test_a_city_looking_for_partners_sees_the_domains_offers(
    register: Register, seeded_database: Database
) -> None:
    """ "มีบริษัทไหนเสนอเรื่องพลังงานบ้าง": the open energy offers, as /partners energy shows."""
    await add_firm(seeded_database)
    await add_offer(seeded_database, "Rooftop solar for city halls", ["energy"])
    await add_offer(seeded_database, "Bus tracking", ["mobility"])
    officer = await officer_of(register)
    await officer.send("มีบริษัทไหนเสนอเรื่องพลังงานบ้าง")
    assert "Rooftop solar for city halls" in officer.text
    assert "Bus tracking" not in officer.text


async def test_a_firm_offering_in_words_starts_the_offer(
    register: Register, seeded_database: Database
) -> None:
    """A partner's "บริษัทเราอยากเสนอโซลูชันด้านขนส่ง" opens /offer; a city's is not an offer."""
    await add_firm(seeded_database)
    partner = await register(FIRM, Role.PARTNER)
    await partner.send("บริษัทเราอยากเสนอโซลูชันด้านขนส่งให้เมือง")
    assert await step_of(seeded_database, partner) == "offer.domains", partner.text


async def test_a_question_gets_the_faq_and_the_next_words_are_read_afresh(
    register: Register, seeded_database: Database
) -> None:
    """ "บีโอไอมีสิทธิประโยชน์อะไรบ้าง": the FAQ's answer; then "ขอบคุณ" is thanks, not a question."""
    officer = await officer_of(register)
    await officer.send("บีโอไอมีสิทธิประโยชน์อะไรบ้างคะ")
    assert "บีโอไอมีสิทธิประโยชน์อะไรสำหรับโครงการเมืองอัจฉริยะ" in officer.text, officer.text
    await officer.send("ขอบคุณค่ะ")
    assert "ยินดีค่ะ" in officer.text
