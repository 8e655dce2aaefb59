"""Ranked search over Thai and English fields, using PyThaiNLP's newmm segmentation."""

from __future__ import annotations

from bot.core.nlu import tokens
from bot.core.search import Field, SearchIndex


def test_tokens_segment_thai_and_drop_stop_words_and_punctuation() -> None:
    """Thai without spaces is split into words; particles and punctuation go."""
    words = tokens("ขอเอกสารเรื่องพลังงานอัจฉริยะ ครับ!")
    assert "เอกสาร" in words and "พลังงาน" in words and "อัจฉริยะ" in words
    assert "ครับ" not in words and "!" not in words


def test_title_matches_outrank_summary_matches() -> None:
    """A word in a title counts more than the same word in a summary."""
    index = SearchIndex(
        [
            ("summary", [Field("คู่มือทั่วไป", 3.0), Field("มีเรื่องพลังงานนิดหน่อย", 1.0)]),
            ("title", [Field("พลังงานอัจฉริยะ", 3.0), Field("สรุป", 1.0)]),
            ("other", [Field("การเดินทาง", 3.0)]),
        ]
    )
    hits = index.search("พลังงาน")
    assert [hit.key for hit in hits] == ["title", "summary"]


def test_more_matched_words_win_and_english_is_case_insensitive() -> None:
    """Documents matching more of the query rank higher, whatever the case."""
    index = SearchIndex(
        [
            ("one", [Field("City Data Platform")]),
            ("two", [Field("data sharing")]),
        ]
    )
    assert index.search("city DATA platform")[0].key == "one"
    assert index.search("nothing here") == []
