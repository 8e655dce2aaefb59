"""A deadline reminder as people read it: the stage, when it is due, how long is left, and
buttons to hand it in and to read the rules."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.dates import countdown, format_datetime
from bot.core.payloads import Command
from bot.core.replies import Button, Card, Cards, Reply, Text
from bot.core.texts import Translator
from db.models import Competition, Deadline


def reminder_message(
    t: Translator, *, deadline: Deadline, competition: Competition, now: datetime, zone: ZoneInfo
) -> list[Reply]:
    """`⏰ Reminder: <stage> of the <competition> is due <when> (<countdown>)`, then the stage as
    a card with a submit button (stages that take submissions) and the rules (when linked)."""
    language = t.language.value
    stage = getattr(deadline, f"title_{language}")
    due = format_datetime(deadline.due_at, t.language, zone)
    text = t(
        "reminders.deadline",
        competition=getattr(competition, f"title_{language}"),
        stage=stage,
        due=due,
        countdown=countdown(t, deadline.due_at, now, zone),
    )
    buttons: list[Button] = []
    if deadline.accepts_submissions:
        buttons.append(Button(label=t("commands.submit.label"), payload=Command("submit").pack()))
    if competition.rules_url:
        buttons.append(Button(label=t("reminders.rules"), url=competition.rules_url))
    if not buttons:
        return [Text(text=text)]
    card = Card(title=stage, subtitle=t("reminders.due", due=due), buttons=tuple(buttons))
    return [Cards(text=text, cards=(card,))]
