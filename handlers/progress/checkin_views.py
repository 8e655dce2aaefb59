"""Check-in messages as a city team reads them: the milestones asked about, each with a button.

`ChatCheckins` implements `checkins.CheckinMessages`: the round's question and the two
reminders share one list (number, title, due date — Buddhist-Era in Thai — and days left or
overdue) and one button per milestone that starts the progress update flow.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.dates import format_date
from bot.core.replies import MAX_CHOICES, Choice, Choices, Reply, Text
from bot.core.texts import Translator
from bot.delivery.notices import Compose
from db.models import Milestone
from handlers.progress.checkins import DUE_SOON, CheckinNote
from handlers.progress.notices import local
from handlers.progress.payloads import UpdateMilestone
from handlers.progress.service import days_left


class ChatCheckins:
    """`CheckinMessages` for chat: a text listing the milestones, a button for each."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone

    def ask(self, note: CheckinNote) -> Compose:
        """ "📋 Check-in: Khon Kaen — these milestones are overdue or due within 30 days"."""

        def compose(t: Translator) -> list[Reply]:
            city = local(t, note.organisation, "name")
            return self._listing(t, note, t("checkin.ask", city=city, days=DUE_SOON.days))

        return compose

    def remind_officers(self, note: CheckinNote) -> Compose:
        """ "⏰ Reminder: Khon Kaen has not yet reported on …", then the list again."""

        def compose(t: Translator) -> list[Reply]:
            heading = t(
                "checkin.remind_officers",
                city=local(t, note.organisation, "name"),
                day=self._asked_day(t, note),
            )
            return self._listing(t, note, heading)

        return compose

    def remind_executive(self, note: CheckinNote) -> Compose:
        """For the executive: the team has not answered for some days; the list again."""

        def compose(t: Translator) -> list[Reply]:
            asked_at = note.round.asked_at or note.now
            heading = t(
                "checkin.remind_executive",
                city=local(t, note.organisation, "name"),
                day=self._asked_day(t, note),
                days=(note.now - asked_at).days,
            )
            return self._listing(t, note, heading)

        return compose

    def _asked_day(self, t: Translator, note: CheckinNote) -> str:
        return format_date(note.round.asked_at or note.now, t.language, self._zone)

    def _listing(self, t: Translator, note: CheckinNote, heading: str) -> list[Reply]:
        """The heading, the numbered milestones, and a button for each (LINE shows 13 at most)."""
        lines = [heading]
        lines += [self._item(t, n, m, note) for n, m in enumerate(note.milestones, start=1)]
        lines.append(t("checkin.tap"))
        buttons = tuple(
            Choice(
                label=t("checkin.button", number=n, milestone=local(t, m, "title")),
                payload=UpdateMilestone(milestone_id=m.id).pack(),
            )
            for n, m in enumerate(note.milestones[:MAX_CHOICES], start=1)
        )
        text = "\n".join(lines)
        return [Choices(text=text, options=buttons)] if buttons else [Text(text=text)]

    def _item(self, t: Translator, number: int, milestone: Milestone, note: CheckinNote) -> str:
        """ "1. PMC set up — due 29 Jan 2027 (3 days left)"."""
        assert milestone.due_at is not None  # only milestones with a due date are listed
        days = days_left(milestone.due_at, note.now, self._zone)
        if days < 0:
            when = t("checkin.overdue_one" if days == -1 else "checkin.overdue", days=-days)
        elif days == 0:
            when = t("checkin.due_today")
        else:
            when = t("checkin.days_left_one" if days == 1 else "checkin.days_left", days=days)
        return t(
            "checkin.item",
            number=number,
            milestone=local(t, milestone, "title"),
            due=format_date(milestone.due_at, t.language, self._zone),
            when=when,
        )
