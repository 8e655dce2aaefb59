"""Issue 12: depa's overview of every city and /behind; who may see and do what (the matrix)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.texts import Texts
from db.enums import MilestoneStatus, Role
from db.models import Milestone, Organisation
from db.repositories.progress import record_progress
from handlers.progress.payloads import CityPage, CityPicked, MilestonePage, UpdateMilestone
from tests.chatdriver import ChatDriver
from tests.conftest import START, Database
from tests.handlers.progress_kit import (
    Register,
    add_partner_firm,
    milestone,
    plans_made_at,
    progress_dispatcher,
    reports,
)

DENIED = "ไม่มีสิทธิ์ใช้คำสั่งนี้"
REGISTER_FIRST = "สำหรับสมาชิกโครงการเท่านั้น"


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, tmp_path: Path
) -> Dispatcher:
    """The real dispatcher, pushing on LINE and Telegram."""
    return progress_dispatcher(seeded_database, texts, clock, tmp_path / "media")


async def report(
    db: Database, org: str, key: str, status: MilestoneStatus, percent: int, days_ago: int
) -> None:
    """A report as `citybot progress set` stores one, `days_ago` days before START (< 0: after)."""
    async with db.sessions() as session, session.begin():
        found = await session.get_one(Milestone, (await milestone(db, org, key)).id)
        await record_progress(
            session=session,
            milestone=found,
            member_id=None,
            status=status,
            percent=percent,
            note=None,
            channel=None,
            reported_at=START - timedelta(days=days_ago),
        )


async def city_id(db: Database, slug: str) -> int:
    """An organisation's id."""
    async with db.sessions() as session:
        found = await session.scalar(select(Organisation.id).where(Organisation.slug == slug))
        assert found is not None
        return found


async def test_the_overview_ranks_cities_by_completion_and_opens_each(
    register: Register, seeded_database: Database
) -> None:
    """Completion, then done count, then slug; each line done/total, %, overdue, silence."""
    await report(seeded_database, "phuket", "pmc-established", MilestoneStatus.DONE, 100, 3)
    await report(seeded_database, "phuket", "area-plan-drafted", MilestoneStatus.DONE, 100, 2)
    await report(seeded_database, "yala", "pmc-established", MilestoneStatus.DONE, 100, 1)
    await report(seeded_database, "krabi", "pmc-established", MilestoneStatus.IN_PROGRESS, 50, 20)
    coordinator = await register("depa", Role.COORDINATOR)
    await coordinator.send("/progress")
    lines = coordinator.last[0].text.splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "📊 ความคืบหน้า 14 เมือง เรียงตามความคืบหน้าเฉลี่ย"
    assert lines[1:5] == [
        "1. จังหวัดภูเก็ต — เสร็จ 2/10 · 20% · เลยกำหนด 0 · อัปเดตล่าสุด 2 วันก่อน",
        "2. จังหวัดยะลา — เสร็จ 1/10 · 10% · เลยกำหนด 0 · อัปเดตล่าสุด 1 วันก่อน",
        "3. จังหวัดกระบี่ — เสร็จ 0/10 · 5% · เลยกำหนด 0 · อัปเดตล่าสุด 20 วันก่อน",
        "4. กรุงเทพมหานคร — เสร็จ 0/10 · 0% · เลยกำหนด 0 · ยังไม่เคยอัปเดต",
    ]
    assert len(lines) == 15
    labels = [option.label for option in coordinator.options()]
    assert labels[:3] == ["1. จังหวัดภูเก็ต", "2. จังหวัดยะลา", "3. จังหวัดกระบี่"]
    assert labels[10:] == ["ถัดไป ▶", "เมืองที่ล่าช้า"]  # ten cities a page
    await coordinator.choose("ถัดไป ▶")
    assert [option.label for option in coordinator.options()] == [
        "11. จังหวัดพิษณุโลก",
        "12. เมืองแสนสุข",
        "13. จังหวัดสงขลา",
        "14. จังหวัดอุบลราชธานี",
        "◀ ก่อนหน้า",
        "เมืองที่ล่าช้า",
    ]
    await coordinator.press(CityPage(0).pack())
    assert len(coordinator.options()) == 12
    await coordinator.press(CityPage(1).pack())
    await coordinator.choose("13. จังหวัดสงขลา")
    assert coordinator.text.startswith("📊 ความคืบหน้าของจังหวัดสงขลา")
    assert "ดูอย่างเดียว" in coordinator.text
    assert [option.label for option in coordinator.options()] == ["◀ ทุกเมือง", "เมืองที่ล่าช้า"]
    await coordinator.send("ความคืบหน้า ภูเก็ต")  # a keyword and a city's name
    assert coordinator.text.startswith("📊 ความคืบหน้าของจังหวัดภูเก็ต\nเสร็จแล้ว 2/10 รายการ")
    assert "อัปเดตล่าสุด: ไม่ระบุชื่อ · 22 พ.ย. 2569 10:00 น." in coordinator.text
    await coordinator.send("/progress atlantis")
    assert "ไม่พบเมือง “atlantis”" in coordinator.text
    await coordinator.press(CityPicked(await city_id(seeded_database, "depa")).pack())
    assert "ไม่พบเมือง" in coordinator.text  # depa is no city


async def test_behind_names_overdue_milestones_and_silent_cities(
    register: Register, seeded_database: Database, clock: FrozenClock
) -> None:
    """Overdue milestones by name; cities silent 14 days or more; the rest not listed."""
    await plans_made_at(seeded_database, START - timedelta(days=10))
    admin = await register("depa", Role.ADMIN)
    await admin.send("/behind")
    assert admin.text.startswith("ไม่มีเมืองที่ล่าช้า 🎉")

    clock.advance(timedelta(days=66))
    for city in ("bangkok", "pattaya", "laem-chabang", "saen-suk", "phuket", "krabi"):
        await report(seeded_database, city, "pmc-established", MilestoneStatus.DONE, 100, -66)
    await report(seeded_database, "songkhla", "pmc-established", MilestoneStatus.DONE, 100, 2)
    clock.advance(timedelta(days=1))  # pmc-established (due 29 Jan 2570) is a day overdue
    await admin.send("ล่าช้า")
    text = admin.last[0].text  # type: ignore[attr-defined]
    assert text.startswith("⚠️ เมืองที่ล่าช้า 8 เมือง (มีรายการเลยกำหนด")
    assert "• จังหวัดขอนแก่น\n    เลยกำหนด 1 รายการ: จัดตั้งคณะกรรมการบริหารโครงการ" in text
    assert "    ไม่ได้อัปเดตมา 77 วัน" in text  # never reported: silent since its plans
    assert "• จังหวัดสงขลา\n    ไม่ได้อัปเดตมา 69 วัน" in text  # done, but silent since
    assert "กรุงเทพมหานคร" not in text  # done on time, and reported yesterday
    assert [option.label for option in admin.options()][-1] == "◀ ทุกเมือง"
    await admin.send("/lang en")
    await admin.send("/behind")
    assert "• Khon Kaen\n    1 overdue: Project Management Committee set up" in admin.text


async def test_a_city_with_more_milestones_than_buttons_pages_them(
    register: Register, seeded_database: Database
) -> None:
    """Twelve milestones: ten buttons and "more"; the second page has the other two."""
    chiang_mai = await milestone(seeded_database, "chiang-mai", "asean-network-joined")
    async with seeded_database.sessions() as session, session.begin():
        for position in (20, 21):
            session.add(
                Milestone(
                    plan_id=chiang_mai.plan_id,
                    key=f"extra-{position}",
                    title_th=f"งานเพิ่ม {position}",
                    title_en=f"Extra {position}",
                    position=position,
                )
            )
    executive = await register("chiang-mai", Role.EXECUTIVE)
    await executive.send("/progress")
    assert "12. งานเพิ่ม 21\n    ⚪ ยังไม่เริ่ม 0% · ไม่มีกำหนด" in executive.text
    assert len(executive.options()) == 11 and executive.options()[-1].label == "ถัดไป ▶"
    await executive.press(MilestonePage(1).pack())
    labels = [option.label for option in executive.options()]
    assert labels == ["11. งานเพิ่ม 20", "12. งานเพิ่ม 21", "◀ ก่อนหน้า"]
    await executive.choose("12. งานเพิ่ม 21")
    assert "📝 งานเพิ่ม 21" in executive.text


ROLES: dict[str, tuple[str, Role] | None] = {
    "newcomer": None,
    "executive": ("khon-kaen", Role.EXECUTIVE),
    "officer": ("khon-kaen", Role.OFFICER),
    "partner": ("test-firm", Role.PARTNER),
    "coordinator": ("depa", Role.COORDINATOR),
    "admin": ("depa", Role.ADMIN),
}
# What each action shows when allowed.
ALLOWED = {
    "/progress": ("📊 ความคืบหน้า",),
    "update": ("สถานะล่าสุดเป็นอย่างไร",),
    "/behind": ("ไม่มีเมืองที่ล่าช้า", "เมืองที่ล่าช้า"),
}
MAY = {
    "newcomer": set(),
    "executive": {"/progress", "update"},
    "officer": {"/progress", "update"},
    "partner": set(),
    "coordinator": {"/progress", "/behind"},
    "admin": {"/progress", "/behind"},
}


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("role", list(ROLES))
async def test_issue12_who_may_see_and_update_progress(
    role: str,
    action: str,
    register: Register,
    new_chat: Callable[..., ChatDriver],
    seeded_database: Database,
) -> None:
    """City members read and update their city; depa reads all and who is behind; no others."""
    await add_partner_firm(seeded_database)
    spec = ROLES[role]
    person = new_chat(f"u-{role}") if spec is None else await register(*spec)
    if action == "update":
        target = await milestone(seeded_database, "khon-kaen", "policy-announced")
        await person.press(UpdateMilestone(target.id).pack())
    else:
        await person.send(action)
    if action in MAY[role]:
        assert any(shown in person.text for shown in ALLOWED[action]), person.text
        assert DENIED not in person.text
    else:
        refusal = REGISTER_FIRST if spec is None else DENIED
        assert refusal in person.text, person.text
        assert not any(shown in person.text for shown in ALLOWED[action])
    assert await reports(seeded_database) == []
