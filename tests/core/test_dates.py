"""Dates shown to people: Bangkok time, Buddhist-Era years in Thai."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.core.dates import format_date, format_datetime
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
