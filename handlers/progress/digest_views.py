"""The weekly digest as depa reads it: one plain text, within LINE's 5,000 characters.

Long lists are cut with "…and N more", shorter and shorter until the whole text fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.core.dates import format_date
from bot.core.replies import Reply, Text
from bot.core.texts import Translator
from bot.delivery.notices import Compose
from handlers.progress.digest import Digest, Mention
from handlers.progress.notices import local

MAX_TEXT_UNITS = 5000  # LINE counts a text's length in UTF-16 code units
LIST_LIMITS = (20, 10, 5, 3, 1)  # items shown per list, tried in turn until the text fits


def utf16_units(text: str) -> int:
    """The length LINE counts: emoji outside the basic plane take two units."""
    return len(text.encode("utf-16-le")) // 2


class ChatDigest:
    """`DigestMessages` for chat."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone

    def digest(self, digest: Digest) -> Compose:
        """The week: reports, completed, newly blocked, not responding, overall completion."""

        def compose(t: Translator) -> list[Reply]:
            for limit in LIST_LIMITS:
                text = self._text(t, digest, limit)
                if utf16_units(text) <= MAX_TEXT_UNITS:
                    break
            return [Text(text=text)]

        return compose

    def _text(self, t: Translator, digest: Digest, limit: int) -> str:
        """The digest with at most `limit` items in each list."""
        lines = [
            t(
                "digest.title",
                start=format_date(digest.start, t.language, self._zone),
                end=format_date(digest.end, t.language, self._zone),
            )
        ]
        if digest.reports:
            names = [local(t, city, "name") for city in digest.reporting]
            shown = ", ".join(names[:limit]) + (
                " " + t("digest.more", count=len(names) - limit) if len(names) > limit else ""
            )
            lines.append(t("digest.reports", reports=digest.reports, names=shown))
        else:
            lines.append(t("digest.reports_none"))
        lines += self._section(t, "completed", self._mentions(t, digest.completed), limit)
        lines += self._section(t, "blocked", self._mentions(t, digest.blocked), limit)
        silent = [t("digest.city", city=local(t, city, "name")) for city in digest.silent]
        lines += self._section(t, "silent", silent, limit)
        lines.append(
            t(
                "digest.completion",
                percent=digest.completion,
                done=digest.done,
                total=digest.total,
            )
        )
        return "\n".join(lines)

    @staticmethod
    def _mentions(t: Translator, mentions: Sequence[Mention]) -> list[str]:
        return [
            t(
                "digest.item",
                city=local(t, mention.organisation, "name"),
                milestone=local(t, mention.milestone, "title"),
            )
            for mention in mentions
        ]

    @staticmethod
    def _section(t: Translator, name: str, items: Sequence[str], limit: int) -> list[str]:
        """A heading with its count and the first `limit` items, or the heading for none."""
        if not items:
            return ["", t(f"digest.{name}_none")]
        cut = list(items[:limit])
        if len(items) > limit:
            cut.append(t("digest.more", count=len(items) - limit))
        return ["", t(f"digest.{name}", count=len(items)), *cut]
