"""Workshop materials: browse by session and domain, search in Thai and English."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.replies import MAX_CARDS, Cards
from db.enums import Role
from tests.chatdriver import ChatDriver

Register = Callable[..., Awaitable[ChatDriver]]


def card_titles(chat: ChatDriver) -> list[str]:
    """Titles of the cards in the last replies, in order."""
    return [card.title for r in chat.last if isinstance(r, Cards) for card in r.cards]


async def test_thai_search_ranks_the_city_data_platform_first(register: Register) -> None:
    """เอกสาร แพลตฟอร์มข้อมูลเมือง finds the City Data Platform toolkit first, with its link."""
    member = await register("khon-kaen", Role.OFFICER)
    await member.send("เอกสาร แพลตฟอร์มข้อมูลเมือง")
    titles = card_titles(member)
    assert titles and "แพลตฟอร์มข้อมูลเมือง" in titles[0]
    assert "https://materials.test/citybot/framework-2018/" in member.text


async def test_thai_search_without_spaces_uses_word_segmentation(register: Register) -> None:
    """A Thai phrase with no spaces is segmented by newmm and still finds Vienna's lessons."""
    member = await register("khon-kaen", Role.OFFICER)
    await member.send("/materials บทเรียนจากกรุงเวียนนา")
    assert any("เวียนนา" in title for title in card_titles(member))


async def test_english_search_for_a_thai_reader_shows_thai_cards(register: Register) -> None:
    """English words find materials; the cards speak the member's language."""
    member = await register("krabi", Role.EXECUTIVE)
    await member.send("/materials city data platform")
    assert "แพลตฟอร์มข้อมูลเมือง" in card_titles(member)[0]


async def test_no_hit_suggests_domains(register: Register) -> None:
    """A search with no result offers the 7 domains to browse."""
    member = await register("yala", Role.OFFICER)
    await member.send("/materials qwertyuiop")
    assert "ไม่พบเอกสาร" in member.text
    assert len(member.options()) == 7


async def test_browse_by_domain_and_by_session(register: Register) -> None:
    """Buttons lead from the intro to a domain's or a session's cards."""
    member = await register("phuket", Role.OFFICER)
    await member.send("เอกสาร")
    await member.choose("ตาม 7 ด้าน")
    await member.choose("การเดินทางและขนส่งอัจฉริยะ")
    assert card_titles(member)
    await member.send("/materials")
    await member.choose("ตามช่วงเวิร์กช็อป")
    assert len(member.options()) >= 3
    await member.choose(2)
    titles = card_titles(member)
    assert titles and len(titles) <= MAX_CARDS


async def test_materials_are_for_members(new_chat: Callable[..., ChatDriver]) -> None:
    """A newcomer asking for materials is asked to register first."""
    chat = new_chat("u-x")
    await chat.send("/materials")
    assert "รหัสเชิญ" in chat.text


async def test_issue10_typing_a_number_after_results_opens_that_one(register: Register) -> None:
    """`2` after a list of materials opens the second, with its link; a new search still works."""
    member = await register("khon-kaen", Role.OFFICER)
    await member.send("/materials city data platform")
    titles = card_titles(member)
    assert len(titles) >= 2
    await member.send("2")
    assert titles[1] in member.text
    assert "https://materials.test/citybot/" in member.text
    await member.send("เอกสาร บทเรียนจากกรุงเวียนนา")
    assert any("เวียนนา" in title for title in card_titles(member))
    await member.send(str(len(card_titles(member)) + 1))  # past the list: how to find some
    assert "ตามช่วงเวิร์กช็อป" in member.text


async def test_issue10_a_number_with_no_list_shown_is_not_a_mystery(register: Register) -> None:
    """A bare number before any list was shown offers the ways to browse, not 'not understood'."""
    member = await register("yala", Role.OFFICER)
    await member.send("3")
    assert "ตามช่วงเวิร์กช็อป" in member.text and "ยังไม่เข้าใจ" not in member.text
