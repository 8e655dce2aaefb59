"""Competition deadline reminders, queued to every city team member when a reminder falls due."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import format_datetime
from bot.core.payloads import Command
from bot.core.replies import Choice, Choices, Reply
from bot.core.texts import Texts, Translator
from bot.delivery.notices import notify_members
from db.enums import Channel
from db.models import Competition, Deadline
from db.repositories.reminders import city_team_member_ids, claim_due_reminders


def reminder_message(
    t: Translator, *, deadline: Deadline, competition: Competition, now: datetime, zone: ZoneInfo
) -> list[Reply]:
    """The reminder as a member reads it: what, when, how long is left, and a way to the rules."""
    language = t.language.value
    days_left = max((deadline.due_at - now).days, 0)
    text = t(
        "reminders.deadline",
        competition=getattr(competition, f"title_{language}"),
        stage=getattr(deadline, f"title_{language}"),
        due=format_datetime(deadline.due_at, t.language, zone),
        days=days_left,
    )
    return [
        Choices(
            text=text,
            options=(
                Choice(label=t("commands.materials.label"), payload=Command("materials").pack()),
            ),
        )
    ]


async def send_due_reminders(
    *,
    session: AsyncSession,
    now: datetime,
    texts: Texts,
    channels: Collection[Channel],
    zone: ZoneInfo,
) -> int:
    """Queue every due reminder to the city teams; how many messages were queued."""
    due = await claim_due_reminders(session=session, now=now)
    if not due:
        return 0
    members = await city_team_member_ids(session=session)
    queued = 0
    for reminder, deadline, competition in due:
        queued += await notify_members(
            session=session,
            member_ids=members,
            texts=texts,
            compose=partial(
                reminder_message, deadline=deadline, competition=competition, now=now, zone=zone
            ),
            now=now,
            channels=channels,
            tag=f"reminder:{reminder.id}",
        )
    return queued
