"""The notices a progress report sends: to the city's team, a celebration, and to depa.

Written per recipient, in their language (`Compose` takes a translator); `service.tell` decides
who gets which and queues them. Chat and `citybot progress set` share these, so a report made
at the command line is announced exactly as one made in chat.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.dates import format_date
from bot.core.replies import Reply, Text
from bot.core.texts import Translator, shorten
from bot.delivery.notices import Compose
from db.enums import Language, MilestoneStatus
from handlers.progress.service import Change

NOTE_CHARS = 300


def status_label(t: Translator, status: MilestoneStatus) -> str:
    """A status as people call it."""
    return t(f"milestone_status.{status.value}")


def local(t: Translator, item: object, field: str) -> str:
    """`item.<field>_th` or `_en`, in the translator's language."""
    return str(getattr(item, f"{field}_{t.language.value}"))


def author_name(t: Translator, change: Change) -> str:
    """Who reported: their name, or "an operator" for the command line."""
    if change.author is None:
        return t("progress_notice.operator")
    return change.author.display_name or t("progress_notice.someone")


class ChatNotices:
    """`ProgressNotices` for chat: short texts, the details in the reader's language."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone

    def team(self, change: Change) -> Compose:
        """ "Somchai updated X: in progress 50 % → blocked 50 %" (and the note, shortened)."""

        def compose(t: Translator) -> list[Reply]:
            update = change.update
            before = change.update.previous_status or MilestoneStatus.NOT_STARTED
            text = t(
                "progress_notice.team",
                who=author_name(t, change),
                milestone=local(t, change.milestone, "title"),
                before=status_label(t, before),
                before_percent=update.previous_percent or 0,
                after=status_label(t, update.status),
                after_percent=update.percent,
            )
            if update.note:
                text += "\n" + t("progress_notice.note", note=shorten(update.note, NOTE_CHARS))
            return [Text(text=text)]

        return compose

    def done(self, change: Change) -> Compose:
        """ "🎉 X is done" with who and when."""

        def compose(t: Translator) -> list[Reply]:
            language = Language(t.language)
            return [
                Text(
                    text=t(
                        "progress_notice.done",
                        who=author_name(t, change),
                        milestone=local(t, change.milestone, "title"),
                        city=local(t, change.organisation, "name"),
                        day=format_date(change.update.reported_at, language, self._zone),
                    )
                )
            ]

        return compose

    def blocked(self, change: Change) -> Compose:
        """For depa: which city is stuck on what, and the note saying why."""

        def compose(t: Translator) -> list[Reply]:
            note = change.update.note or t("progress_notice.no_note")
            return [
                Text(
                    text=t(
                        "progress_notice.blocked",
                        city=local(t, change.organisation, "name"),
                        milestone=local(t, change.milestone, "title"),
                        who=author_name(t, change),
                        note=shorten(note, NOTE_CHARS),
                    )
                )
            ]

        return compose
