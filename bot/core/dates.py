"""Showing times to people: Asia/Bangkok by default, Buddhist-Era years in Thai."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from db.enums import Language

_THAI_MONTHS = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
_ENGLISH_MONTHS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
BUDDHIST_ERA_OFFSET = 543


def format_date(moment: datetime, language: Language, zone: ZoneInfo) -> str:
    """`24 พ.ย. 2569` or `24 Nov 2026`, in `zone`."""
    local = moment.astimezone(zone)
    if language is Language.TH:
        return f"{local.day} {_THAI_MONTHS[local.month - 1]} {local.year + BUDDHIST_ERA_OFFSET}"
    return f"{local.day} {_ENGLISH_MONTHS[local.month - 1]} {local.year}"


def format_datetime(moment: datetime, language: Language, zone: ZoneInfo) -> str:
    """`24 พ.ย. 2569 13:05 น.` or `24 Nov 2026, 13:05`, in `zone`."""
    local = moment.astimezone(zone)
    if language is Language.TH:
        return f"{format_date(moment, language, zone)} {local:%H:%M} น."
    return f"{format_date(moment, language, zone)}, {local:%H:%M}"
