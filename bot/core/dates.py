"""Showing times to people: Asia/Bangkok by default, Buddhist-Era years in Thai."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from db.enums import Language

if TYPE_CHECKING:
    from bot.core.texts import Translator

_THAI_MONTHS = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
_ENGLISH_MONTHS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
BUDDHIST_ERA_OFFSET = 543
# No message a person did not ask for goes out between these (check-ins, digests, reminders).
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)


def in_quiet_hours(moment: datetime, zone: ZoneInfo) -> bool:
    """Between 21:00 and 08:00 in `zone`, when nothing unasked is sent: what falls due then
    waits for the first run after 08:00."""
    local = moment.astimezone(zone).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def format_date(moment: datetime, language: Language, zone: ZoneInfo) -> str:
    """`24 พ.ย. 2569` or `24 Nov 2026`, in `zone`."""
    local = moment.astimezone(zone)
    if language is Language.TH:
        return f"{local.day} {_THAI_MONTHS[local.month - 1]} {local.year + BUDDHIST_ERA_OFFSET}"
    return f"{local.day} {_ENGLISH_MONTHS[local.month - 1]} {local.year}"


def format_month(year: int, month: int, language: Language) -> str:
    """`พ.ย. 2569` or `Nov 2026`: a month as a chart's label."""
    if language is Language.TH:
        return f"{_THAI_MONTHS[month - 1]} {year + BUDDHIST_ERA_OFFSET}"
    return f"{_ENGLISH_MONTHS[month - 1]} {year}"


def format_datetime(moment: datetime, language: Language, zone: ZoneInfo) -> str:
    """`24 พ.ย. 2569 13:05 น.` or `24 Nov 2026, 13:05`, in `zone`."""
    local = moment.astimezone(zone)
    if language is Language.TH:
        return f"{format_date(moment, language, zone)} {local:%H:%M} น."
    return f"{format_date(moment, language, zone)}, {local:%H:%M}"


def calendar_days(due: datetime, now: datetime, zone: ZoneInfo) -> int:
    """Days from today to the due day as a person counts them: by dates in `zone`, not by
    24-hour blocks (a deadline tomorrow 16:30 is "1 day" at 23:00 today; negative: past)."""
    return (due.astimezone(zone).date() - now.astimezone(zone).date()).days


def countdown(t: Translator, due: datetime, now: datetime, zone: ZoneInfo) -> str:
    """How long is left, as people say it: `อีก 12 วัน`, `พรุ่งนี้ 16:30 น.`, `วันนี้ 16:30 น.`,
    `ปิดแล้ว` (texts under `countdown.*`, in the translator's language)."""
    if due <= now:
        return t("countdown.closed")
    days = calendar_days(due, now, zone)
    time = f"{due.astimezone(zone):%H:%M}"
    if days == 0:
        return t("countdown.today", time=time)
    if days == 1:
        return t("countdown.tomorrow", time=time)
    return t("countdown.days", days=days)
