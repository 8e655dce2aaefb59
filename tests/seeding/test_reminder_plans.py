"""Re-seeding re-plans reminders: pending ones follow a moved stage, dropped offsets are
cancelled, new ones added, sent ones left as they were."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.texts import Texts
from bot.settings import DEFAULT_CONTENT_DIR
from db.enums import ReminderStatus
from tests.conftest import Database
from tests.delivery.reminder_kit import FOURTEEN_DAYS, deadline_of, reminders_of, run
from tests.seeding.runs import catalogue_of, seed

REGISTRATION = "        due: 2027-02-26T16:30\n"


async def test_reseeding_a_moved_stage_replans_its_pending_reminders(
    database: Database, texts: Texts, tmp_path: Path
) -> None:
    """Registration's 14-day reminder went out; then the stage moves a week later and takes
    [7d, 1d]: the 14-day one stays sent, the 3-day one is cancelled, the 1-day one moves, a
    7-day one is added; and the next run sends the 7-day one at its new time."""
    content = Path(shutil.copytree(DEFAULT_CONTENT_DIR, tmp_path / "content"))
    await seed(database, catalogue_of(content), demo=False)
    assert (await run(database, texts, FOURTEEN_DAYS)).sent == 1
    async with database.sessions() as session:
        sent = (await reminders_of(session, "registration"))[14]
    path = content / "competitions.yaml"
    text = path.read_text(encoding="utf-8")
    assert REGISTRATION in text
    path.write_text(
        text.replace(
            REGISTRATION, "        due: 2027-03-05T16:30\n        remind_before: [7d, 1d]\n"
        ),
        encoding="utf-8",
    )

    await seed(database, catalogue_of(content), demo=False)

    async with database.sessions() as session:
        due = (await deadline_of(session, "registration")).due_at
        reminders = await reminders_of(session, "registration")
    assert due == datetime(2027, 3, 5, 9, 30, tzinfo=UTC)
    assert {days: (r.status, r.remind_at) for days, r in reminders.items()} == {
        14: (ReminderStatus.SENT, sent.remind_at),
        7: (ReminderStatus.PENDING, due - timedelta(days=7)),
        3: (ReminderStatus.CANCELLED, datetime(2027, 2, 23, 9, 30, tzinfo=UTC)),  # as it was
        1: (ReminderStatus.PENDING, due - timedelta(days=1)),
    }
    assert reminders[14].id == sent.id and reminders[14].sent_at == FOURTEEN_DAYS
    assert (await run(database, texts, due - timedelta(days=3))).sent == 1
    async with database.sessions() as session:
        after = await reminders_of(session, "registration")
    assert after[7].status is ReminderStatus.SENT
    assert after[1].status is ReminderStatus.PENDING
