"""Dates shown to people: Bangkok time, Buddhist-Era years in Thai."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.dates import countdown, format_date, format_datetime
from bot.core.texts import Texts
from db.enums import Language

BANGKOK = ZoneInfo("Asia/Bangkok")


def test_thai_shows_buddhist_era_and_bangkok_time() -> None:
    """17:30 UTC on 31 Dec 2026 is 00:30 on 1 Jan 2570 in Bangkok."""
    moment = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    assert format_datetime(moment, Language.TH, BANGKOK) == "1 ม.ค. 2570 00:30 น."


def test_english_shows_common_era() -> None:
    """English readers see the Gregorian year."""
    moment = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert format_datetime(moment, Language.EN, BANGKOK) == "24 Nov 2026, 10:00"
    assert format_date(moment, Language.TH, BANGKOK) == "24 พ.ย. 2569"


@pytest.mark.parametrize(
    ("now", "thai", "english"),
    [
        (datetime(2027, 2, 14, 9, 0, tzinfo=UTC), "อีก 12 วัน", "12 days left"),
        (datetime(2027, 2, 25, 16, 0, tzinfo=UTC), "พรุ่งนี้ 16:30 น.", "tomorrow 16:30"),
        # 23:30 Bangkok the evening before is already "tomorrow", not "0 days"
        (datetime(2027, 2, 25, 16, 30, tzinfo=UTC), "พรุ่งนี้ 16:30 น.", "tomorrow 16:30"),
        (datetime(2027, 2, 25, 17, 0, tzinfo=UTC), "วันนี้ 16:30 น.", "today 16:30"),
        (datetime(2027, 2, 26, 9, 30, tzinfo=UTC), "ปิดแล้ว", "closed"),
    ],
)
def test_countdown_counts_bangkok_calendar_days(
    texts: Texts, now: datetime, thai: str, english: str
) -> None:
    """A stage due 26 Feb 16:30 Bangkok, seen at various moments, in both languages."""
    due = datetime(2027, 2, 26, 9, 30, tzinfo=UTC)  # 16:30 in Bangkok
    zone = ZoneInfo("Asia/Bangkok")
    assert countdown(texts.bind(Language.TH), due, now, zone) == thai
    assert countdown(texts.bind(Language.EN), due, now, zone) == english
