"""What members type or send in an update, read into what it needs.

A milestone by its number in the list or its key, a status by its name in either language, a
city by its name or slug, a photo or file fetched from its platform and kept as evidence. The
checks every way of reporting shares (percent, note, link) are in `rules.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.context import Context
from bot.core.events import FileReceived
from bot.core.media import MediaKind
from bot.core.received import FileRefused, keep_sent_file
from bot.core.texts import Texts
from db.enums import Language, MilestoneStatus
from db.models import Organisation
from db.repositories.progress import MilestoneRow
from handlers.progress.draft import EvidenceFile
from handlers.progress.rules import ProgressError, parse_status

EVIDENCE_KINDS = frozenset({MediaKind.IMAGE, MediaKind.DOCUMENT})


def wanted_row(rows: Sequence[MilestoneRow], typed: str) -> MilestoneRow | None:
    """The milestone a member names after /progress: its number in the list, or its key."""
    wanted = typed.strip().casefold()
    if wanted.isdecimal() and 1 <= int(wanted) <= len(rows):
        return rows[int(wanted) - 1]
    return next((row for row in rows if row.milestone.key == wanted), None)


def read_status(texts: Texts, typed: str) -> MilestoneStatus:
    """A status typed: its value (`done`), or its name in either language (`เสร็จแล้ว`)."""
    try:
        return parse_status(typed)
    except ProgressError:
        wanted = " ".join(typed.split()).casefold()
        for status in MilestoneStatus:
            key = f"milestone_status.{status.value}"
            if any(wanted == texts.get(language, key).casefold() for language in Language):
                return status
        raise


def find_city(typed: str, cities: Sequence[Organisation]) -> Organisation | None:
    """The city a name or slug means; a fragment must fit one city's name alone."""
    wanted = " ".join(typed.split()).casefold()

    def names(city: Organisation) -> tuple[str, ...]:
        return (city.slug, city.name_th.casefold(), city.name_en.casefold())

    exact = [city for city in cities if wanted in names(city)]
    partial = [city for city in cities if any(wanted in name for name in names(city)[1:])]
    found = exact or partial
    return found[0] if len(found) == 1 else None


async def keep_file(ctx: Context, event: FileReceived, city: Organisation) -> EvidenceFile:
    """Fetch the file from its platform and keep it under the media directory, if it fits.

    ProgressError `too_large`, `unknown_type` or `file_unavailable` otherwise; nothing refused
    is written.
    """
    try:
        stored = await keep_sent_file(
            ctx.services, event, folder=f"progress/{city.slug}", accept=EVIDENCE_KINDS
        )
    except FileRefused as refused:
        raise ProgressError(refused.reason) from None
    return EvidenceFile(path=stored.path, content_type=stored.content_type, size=stored.size)
