"""The rules of understanding, one by one, on messages outside the development set."""

from __future__ import annotations

import pytest

from bot.nlu.text import Words, normalise, numbers_as_digits
from bot.nlu.understanding import Understander
from bot.nlu.vocabulary import Intent


def test_the_issue_example(understander: Understander) -> None:
    """`ตั้ง PMC เสร็จแล้วค่ะ` is a done report on the PMC milestone, with no percent."""
    result = understander.understand("ตั้ง PMC เสร็จแล้วค่ะ")
    assert result.intent is Intent.PROGRESS_UPDATE
    assert result.slots == {"milestone": "pmc-established", "status": "done"}
    assert 0.5 < result.confidence <= 1


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        ("แผนพื้นที่ไปได้ ๗๕ % แล้ว", 75),
        ("แผนพื้นที่ไปได้เจ็ดสิบห้าเปอร์เซ็นต์", 75),
        ("แผนพื้นที่ ร้อยละ 75", 75),
        ("แผนพื้นที่75เปอร์เซ็น", 75),
        ("area plan is at seventy-five percent", 75),
        ("แผนพื้นที่มาครึ่งทางแล้วค่าาาา 5555", 50),
    ],
)
def test_every_way_of_writing_a_percent(
    understander: Understander, text: str, percent: int
) -> None:
    """Thai digits, number words, ร้อยละ, เปอร์เซ็น, English words, ครึ่งทาง: one number."""
    result = understander.understand(text)
    assert result.intent is Intent.PROGRESS_UPDATE
    assert result.slots == {
        "milestone": "area-plan-drafted",
        "percent": percent,
        "status": "in_progress",
    }


@pytest.mark.parametrize(
    ("text", "status", "percent"),
    [
        ("CDP 100% แล้วครับ", "done", 100),
        ("CDP ยังไม่เสร็จ", "in_progress", None),
        ("CDP ติดปัญหางบ 30%", "blocked", 30),
        ("CDP ยังไม่ได้เริ่มเลย", "not_started", None),
        ("the city data platform is stuck", "blocked", None),
    ],
)
def test_the_status_rules(
    understander: Understander, text: str, status: str, percent: int | None
) -> None:
    """100 is done, below 100 in progress unless a word says blocked; the longest word wins."""
    result = understander.understand(text)
    assert result.intent is Intent.PROGRESS_UPDATE
    assert result.slots.get("status") == status
    assert result.slots.get("percent") == percent
    assert result.slots["milestone"] == "city-data-platform-designed"


def test_a_report_asked_as_a_question_is_a_query(understander: Understander) -> None:
    """ "Is the PMC done yet?" saves nothing: it asks about progress."""
    result = understander.understand("PMC เสร็จหรือยังคะ")
    assert result.intent is Intent.PROGRESS_QUERY


def test_numbers_that_are_not_percents(understander: Understander) -> None:
    """A time, a budget or a count is not a percent of a milestone."""
    assert understander.understand("ประชุมเรื่องกรอบงบประมาณ 3 โมงนะ").slots.get("percent") is None
    budget = understander.understand("กรอบงบประมาณ 50 ล้านพอไหม")
    assert budget.intent is not Intent.PROGRESS_UPDATE


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("อยากรู้ว่า pitching วันไหน", Intent.DEADLINE_QUERY, {"stage": "pitching"}),
        ("ขอส่ง concept note ครับ", Intent.SUBMIT_ENTRY, {"stage": "concept-note"}),
        ("ขอคู่มือเรื่องขยะหน่อย", Intent.MATERIALS_SEARCH, {"domain": "environment"}),
        ("บริษัทเรามีระบบจอดรถอัจฉริยะอยากเสนอให้เมือง", Intent.PARTNER_OFFER, {"domain": "mobility"}),
        ("มีบริษัทไหนทำโซลาร์เซลล์บ้าง", Intent.PARTNER_SEARCH, {"domain": "energy"}),
        ("ภาพรวมความคืบหน้าของโคราช", Intent.PROGRESS_QUERY, {"org": "nakhon-ratchasima"}),
        ("สิทธิประโยชน์ทางภาษีของ BOI มีอะไรบ้าง", Intent.QUESTION, {}),
        ("หวัดดีจ้า", Intent.GREETING, {}),
        ("แต๊งกิ้วค่ะ", Intent.THANKS, {}),
        ("บอทนี้ทำอะไรได้บ้าง", Intent.HELP, {}),
        ("กินข้าวยัง", Intent.UNKNOWN, {}),
        ("ฟหกดเาสว", Intent.UNKNOWN, {}),
    ],
)
def test_each_intent_with_its_slots(
    understander: Understander, text: str, intent: Intent, slots: dict[str, str]
) -> None:
    """Every intent of the contract, with the slots it takes and nothing it does not."""
    result = understander.understand(text)
    assert (result.intent, result.slots) == (intent, slots)


def test_greetings_give_way_to_content(understander: Understander) -> None:
    """ "Hello, …" is about what follows the hello."""
    result = understander.understand("สวัสดีครับ ขอสไลด์เรื่องพลังงานหน่อย")
    assert result.intent is Intent.MATERIALS_SEARCH


def test_unknown_is_sure_when_nothing_matches(understander: Understander) -> None:
    """Confidence is between 0 and 1, high for nonsense judged unknown."""
    result = understander.understand("zzzz qqq")
    assert result.intent is Intent.UNKNOWN
    assert 0.9 <= result.confidence <= 1


def test_normalising() -> None:
    """Thai digits, laughter, stretched letters and repetition marks come to one spelling."""
    assert normalise("ค่าาาา ๖๐%  555555 เร็วๆ") == "ค่า 60% เร็ว"
    assert normalise("HeLLLo!!! /help") == "helo help"


def test_number_words() -> None:
    """Thai and English number words become digits; other words stay."""
    assert numbers_as_digits(["หก", "สิบ", "ห้า", "เปอร์เซ็นต์"]) == ["65", "เปอร์เซ็นต์"]
    assert numbers_as_digits(["sixty", "five", "percent"]) == ["65", "percent"]
    assert Words.of(["60", " ", "เปอร์เซ็น"]).joined == "60%"


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("ขอคำแนะนำเรื่องการจัดการขยะในชุมชน", "environment"),  # an unknown intent
        ("how do we fund smart mobility buses", "mobility"),  # a question
        ("อยากหาวัสดุเรื่องพลังงานแสงอาทิตย์", "energy"),
        ("สวัสดีครับ", None),
    ],
)
def test_the_domain_a_message_is_about_whatever_its_intent(
    understander: Understander, text: str, domain: str | None
) -> None:
    """Community needs count topics: the domain is found even where no intent takes it."""
    assert understander.domain(text) == domain
    slot = understander.understand(text).slots.get("domain")
    assert slot is None or slot == domain  # never another domain than the slot's
