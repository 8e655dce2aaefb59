"""Competition deadline reminders: the cities that still owe a stage are told, truthfully, once.

The scheduler (every minute, lease holder only) and `citybot reminders run` call
`send_due_reminders`. It claims every reminder due (the claim is the lock: two runs never both
send one), then for each stage sends only the latest of its due reminders: after downtime the
3-day and the 1-day reminder are both due, and only the 1-day one says something true. The
others, and any reminder whose stage is already due, are cancelled without a message.

Who hears is decided when it is sent: for a stage that takes submissions, the cities without a
current one; for the others (pitching, results), every city. In each city, every active
executive and officer (in their language) and the city's group chats (in Thai). Partners and
depa hear nothing. Nothing goes out between 21:00 and 08:00 Bangkok: a reminder due then waits
for the first run after 08:00, and its countdown is counted from then.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import in_quiet_hours
from bot.core.texts import Texts
from bot.delivery.notices import notify_chats, notify_members
from bot.delivery.reminder_views import reminder_message
from db.enums import CITY_ROLES, Channel
from db.models import Competition, Deadline, Reminder
from db.repositories.members import active_group_chats, active_member_ids
from db.repositories.organisations import list_cities
from db.repositories.reminders import (
    cancel_claimed,
    claim_due_reminders,
)
from db.repositories.submissions import submitted_organisation_ids


@dataclass(frozen=True)
class ReminderRun:
    """What one run did: reminders sent, reminders dropped unsent, messages queued."""

    sent: int = 0
    skipped: int = 0
    queued: int = 0


def latest_per_stage(
    due: list[tuple[Reminder, Deadline, Competition]], now: datetime
) -> tuple[list[tuple[Reminder, Deadline, Competition]], list[int]]:
    """The reminders to send (each stage's latest, if the stage is not due yet) and the ids of
    the rest, which are cancelled."""
    latest: dict[int, tuple[Reminder, Deadline, Competition]] = {}
    dropped: list[int] = []
    for row in due:  # oldest first: a later reminder of the same stage overtakes an earlier one
        reminder, deadline, _ = row
        if deadline.due_at <= now:
            dropped.append(reminder.id)
            continue
        overtaken = latest.get(deadline.id)
        if overtaken is not None:
            dropped.append(overtaken[0].id)
        latest[deadline.id] = row
    return list(latest.values()), dropped


async def owing_cities(*, session: AsyncSession, deadline: Deadline) -> list[int]:
    """The cities a reminder of `deadline` goes to: those without a current submission for it,
    or every city when the stage takes none."""
    everyone = [city.id for city in await list_cities(session=session)]
    if not deadline.accepts_submissions:
        return everyone
    submitted = await submitted_organisation_ids(session=session, deadline_id=deadline.id)
    return [city for city in everyone if city not in submitted]


async def send_due_reminders(
    *,
    session: AsyncSession,
    now: datetime,
    texts: Texts,
    channels: Collection[Channel],
    zone: ZoneInfo,
) -> ReminderRun:
    """Send each stage's latest due reminder to the cities it concerns; the caller commits."""
    if in_quiet_hours(now, zone):
        return ReminderRun()
    due = await claim_due_reminders(session=session, now=now)
    if not due:
        return ReminderRun()
    send, dropped = latest_per_stage(due, now)
    await cancel_claimed(session=session, reminder_ids=dropped)
    queued = 0
    for reminder, deadline, competition in send:
        cities = await owing_cities(session=session, deadline=deadline)
        compose = partial(
            reminder_message, deadline=deadline, competition=competition, now=now, zone=zone
        )
        tag = f"reminder:{reminder.id}"
        queued += await notify_members(
            session=session,
            member_ids=await active_member_ids(
                session=session, organisation_ids=cities, roles=CITY_ROLES
            ),
            texts=texts,
            compose=compose,
            now=now,
            channels=channels,
            tag=tag,
        )
        queued += await notify_chats(
            session=session,
            chats=await active_group_chats(session=session, organisation_ids=cities),
            texts=texts,
            compose=compose,
            now=now,
            channels=channels,
            tag=tag,
        )
    return ReminderRun(sent=len(send), skipped=len(dropped), queued=queued)
