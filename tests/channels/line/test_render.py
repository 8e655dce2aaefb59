"""Our replies as LINE messages: every reply type, every documented limit, Thai kept whole."""

from __future__ import annotations

import json
import unicodedata

import pytest
from linebot.v3.messaging import PushMessageRequest

from bot.channels.line import graphemes
from bot.channels.line.render import (
    MAX_ALT_TEXT,
    MAX_LABEL,
    batches,
    payload_from_postback,
    postback_data,
    render,
    render_one,
)
from bot.core.replies import (
    MAX_CARDS,
    MAX_CHOICES,
    Card,
    Cards,
    Choice,
    Choices,
    Document,
    Link,
    Reply,
    ReplyError,
    Text,
)
from tests.channels.sample_replies import EVERY_REPLY
from tests.fakes.line_api import actions_of

THAI_LABEL = "ผู้ประสานงานโครงการเมืองอัจฉริยะแห่งประเทศไทย"  # 47 characters, no spaces


def _no_broken_thai(text: str) -> bool:
    """No mark without its letter, no leading vowel without the letter after it."""
    if text and unicodedata.category(text[0]).startswith("M"):
        return False
    stripped = text.removesuffix("…")
    return not stripped or stripped[-1] not in "เแโใไ"


@pytest.mark.parametrize("reply", EVERY_REPLY, ids=lambda r: type(r).__name__)
def test_every_reply_type_renders_to_what_the_sdk_accepts(reply: Reply) -> None:
    """Each reply type becomes LINE messages that the SDK's request model takes unchanged."""
    messages = render([reply])
    assert messages
    for batch in batches(messages):
        request = PushMessageRequest.from_dict({"to": "U" + "0" * 32, "messages": batch})
        assert len(request.messages) == len(batch)


def test_every_reply_type_is_covered() -> None:
    """The reply vocabulary has no type this adapter does not render."""
    from bot.core import replies

    assert {type(r) for r in EVERY_REPLY} == set(replies._REPLY_TYPES.values())


def test_choices_last_become_a_quick_reply_with_versioned_postbacks() -> None:
    """The last Choices: text with quick reply buttons whose taps show the label in the chat."""
    (message,) = render([EVERY_REPLY[1]])
    assert message["type"] == "text"
    items = message["quickReply"]["items"]
    assert [item["action"]["label"] for item in items] == ["ยินยอม", "ไม่"]
    assert items[0]["action"] == {
        "type": "postback",
        "label": "ยินยอม",
        "data": "1|consent:yes",
        "displayText": "ยินยอม",
    }


def test_choices_before_another_message_become_a_flex_list() -> None:
    """A quick reply vanishes when another message follows, so earlier Choices become buttons."""
    messages = render([EVERY_REPLY[1], Text(text="ต่อ")])
    assert messages[0]["type"] == "flex"
    assert [a["data"] for a in actions_of(messages[0])] == ["1|consent:yes", "1|consent:no"]
    assert "quickReply" not in messages[1]


def test_thirteen_choices_fit_a_quick_reply_with_thai_labels_cut_cleanly() -> None:
    """13 options with long Thai labels: all present, each ≤ 20 characters and whole syllables."""
    options = tuple(
        Choice(label=f"{index} {THAI_LABEL}", payload=f"mat:s:{index}")
        for index in range(MAX_CHOICES)
    )
    (message,) = render([Choices(text="เลือก", options=options)])
    items = message["quickReply"]["items"]
    assert len(items) == MAX_CHOICES
    for item in items:
        label = item["action"]["label"]
        assert graphemes.count(label) <= MAX_LABEL
        assert label.endswith("…") and _no_broken_thai(label)
        assert item["action"]["displayText"].endswith("ไทย")  # the chat shows the whole label


def test_more_choices_than_a_quick_reply_holds_become_a_flex_list() -> None:
    """Past 13 options (only reachable through render_one), the options go into a Flex list."""
    options = [Choice(label=f"ข้อ {i}", payload=f"x:{i}") for i in range(15)]
    choices = object.__new__(Choices)  # bypass the 13-option check of the vocabulary
    object.__setattr__(choices, "text", "เลือก")
    object.__setattr__(choices, "options", tuple(options))
    (message,) = render_one(choices)
    assert message["type"] == "flex"
    assert len(actions_of(message)) == 15


@pytest.mark.parametrize(
    ("label", "limit"),
    [
        (THAI_LABEL, 20),
        ("เชื่อมบัญชีเชื่อมบัญชีเชื่อมบัญชี", 10),
        ("ข้อมูลของฉัน ข้อมูลของฉัน", 12),
        ("แผนแม่บทเมืองอัจฉริยะ", 5),
        ("👨‍👩‍👧‍👦 ครอบครัว 🇹🇭 ประเทศไทย", 6),
    ],
)
def test_labels_are_cut_between_syllables(label: str, limit: int) -> None:
    """A cut label ends with … and never splits a consonant from its vowel or tone marks."""
    cut = graphemes.cut(label, limit)
    assert graphemes.count(cut) <= limit
    assert cut.endswith("…")
    assert _no_broken_thai(cut)
    assert label.startswith(cut.removesuffix("…").rstrip())


def test_grapheme_count_matches_how_line_counts_labels() -> None:
    """Marks, SARA AM, ZWJ emoji and flags count as one; a leading vowel counts alone."""
    assert graphemes.count("น้ำ") == 1
    assert graphemes.count("เมือง") == 4  # เ, มื, อ, ง
    assert graphemes.count("👨‍👩‍👧‍👦") == 1
    assert graphemes.count("🇹🇭🇯🇵") == 2
    assert graphemes.count("👍🏽") == 1


def test_long_text_is_split_at_5000_at_a_line_break() -> None:
    """12,000 characters in lines of Thai: pieces ≤ 5,000 UTF-16 units, each ending a line."""
    line = "รายงานความคืบหน้าแผนพัฒนาเมืองอัจฉริยะ ด้านการเดินทาง 60%"
    text = "\n".join(f"{index}. {line}" for index in range(220))
    messages = render([Text(text=text)])
    assert len(messages) == 3
    assert all(graphemes.utf16_length(m["text"]) <= 5000 for m in messages)
    assert "\n".join(m["text"] for m in messages) == text
    assert all(m["text"].endswith("60%") for m in messages)


def test_long_text_without_line_breaks_splits_at_a_space_and_counts_emoji_twice() -> None:
    """Emoji count as two units; a piece ends at a space, never inside a word or a syllable."""
    text = " ".join(["เมืองอัจฉริยะ🏙️"] * 500)
    messages = render([Text(text=text)])
    assert all(graphemes.utf16_length(m["text"]) <= 5000 for m in messages)
    assert all(m["text"].endswith("🏙️") for m in messages)
    assert " ".join(m["text"] for m in messages) == text


def test_six_replies_go_in_two_requests() -> None:
    """LINE takes five messages per request: the sixth goes in the next one."""
    messages = render([Text(text=f"ข้อความ {i}") for i in range(6)])
    assert [len(batch) for batch in batches(messages)] == [5, 1]


def test_cards_become_an_intro_text_and_a_carousel() -> None:
    """Cards: the intro, then a carousel whose bubbles open the link and carry buttons."""
    text, flex = render([EVERY_REPLY[2]])
    assert text == {"type": "text", "text": "เอกสารจากเวิร์กช็อป"}
    assert flex["altText"] == "เอกสารจากเวิร์กช็อป"
    (bubble,) = flex["contents"]["contents"]
    assert bubble["body"]["action"]["uri"] == "https://materials.test/toolkit"
    assert bubble["hero"]["url"] == "https://materials.test/toolkit.png"
    assert [a["type"] for a in actions_of(bubble["footer"])] == ["uri", "postback"]
    assert actions_of(bubble["footer"])[1]["data"] == "1|mat:d:mobility"


def test_large_cards_are_spread_over_carousels_within_50_kb() -> None:
    """Ten cards with long descriptions: carousels of ≤ 12 bubbles, each ≤ 50 KB, none lost."""
    cards = tuple(
        Card(title=f"เอกสาร {i}", subtitle="รายละเอียด " * 900, link=f"https://m.test/{i}")
        for i in range(MAX_CARDS)
    )
    messages = render([Cards(text="เอกสาร", cards=cards)])
    carousels = [m for m in messages if m["type"] == "flex"]
    assert len(carousels) > 1
    sizes = [len(json.dumps(m["contents"], ensure_ascii=False).encode()) for m in carousels]
    assert all(size <= 50_000 for size in sizes)
    assert all(len(m["contents"]["contents"]) <= 12 for m in carousels)
    assert sum(len(m["contents"]["contents"]) for m in carousels) == MAX_CARDS


def test_a_bubble_over_30_kb_is_shortened_to_fit() -> None:
    """One card with an enormous subtitle is shortened (with …) rather than refused by LINE."""
    card = Card(title="แผน", subtitle="ก" * 40_000)
    (_, flex) = render([Cards(text="แผน", cards=(card,))])
    (bubble,) = flex["contents"]["contents"]
    assert len(json.dumps(bubble, ensure_ascii=False).encode()) <= 30_000
    assert bubble["body"]["contents"][1]["text"].endswith("…")


def test_link_becomes_a_uri_button() -> None:
    """Link: the sentence and one button that opens the URL."""
    (message,) = render([EVERY_REPLY[3]])
    assert message["type"] == "flex"
    assert actions_of(message) == [
        {"type": "uri", "label": "เปิดแบบฟอร์ม", "uri": "https://forms.test/report"}
    ]


def test_document_becomes_a_card_with_its_link() -> None:
    """LINE bots cannot send files: a Document is a card whose button is named after the file."""
    (message,) = render([EVERY_REPLY[4]])
    actions = actions_of(message)
    assert {a["uri"] for a in actions} == {"https://materials.test/plan.pdf"}
    assert actions[-1]["label"] == "plan.pdf"
    assert "แผนพัฒนาเมืองอัจฉริยะ" in message["altText"]


def test_a_document_with_bytes_is_the_same_link_card() -> None:
    """LINE cannot upload the bytes either: a Document carrying them renders exactly as the
    same Document without them, one card linking to its URL, nothing of the file inside."""
    feed = b"BEGIN:VCALENDAR\r\nUID:secret-feed-line\r\nEND:VCALENDAR\r\n"
    url = "https://bot.test/calendar/abc.ics"
    with_file = Document(title="ปฏิทิน", url=url, file_name="citybot.ics", content=feed)
    (message,) = render([with_file])
    assert message == render([Document(title="ปฏิทิน", url=url, file_name="citybot.ics")])[0]
    assert {a["uri"] for a in actions_of(message)} == {url}
    assert "secret-feed-line" not in json.dumps(message, ensure_ascii=False)


def test_alt_text_stays_within_400() -> None:
    """A very long intro is cut for the alt text (≤ 400 units), whole."""
    (message,) = render([Link(text="เมือง " * 200, label="เปิด", url="https://x.test")])
    assert graphemes.utf16_length(message["altText"]) <= MAX_ALT_TEXT
    assert message["altText"].endswith("…")


def test_postback_data_is_versioned_and_bounded() -> None:
    """Postback data is `1|payload`, read back exactly; a payload LINE cannot carry is refused."""
    assert postback_data("mat:s:3:1") == "1|mat:s:3:1"
    assert payload_from_postback("1|mat:s:3:1") == "mat:s:3:1"
    assert payload_from_postback("2|mat:s:3:1") is None
    with pytest.raises(ReplyError):
        postback_data("x" * 299)


def test_links_lines_cannot_open_are_refused() -> None:
    """LINE opens http(s), line: and tel: only; anything else is a rendering error, not a 400."""
    with pytest.raises(ReplyError):
        render([Link(text="x", label="x", url="ftp://files.test/plan.pdf")])
