"""`citybot reminders run`: what the scheduler does for deadline reminders, once, now or at a
chosen time.

It calls `bot.delivery.reminders.send_due_reminders`, the scheduler's own entry, so running it
beside a serving bot, or twice, sends no reminder twice. It only writes to the database; the
running bot's outbox worker does the sending.
"""

from __future__ import annotations

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import AsOf, in_session, push_run, quiet_hours_note
from bot.delivery.reminders import ReminderRun, send_due_reminders

app = typer.Typer(
    help="Deadline reminders: the cities that have not handed in a stage are told before it.",
    no_args_is_help=True,
)


@app.command("run")
def run(as_of: AsOf = None) -> None:
    """Send the reminders due (each stage's latest); print reminders sent, skipped, messages."""
    job = push_run(as_of, "reminders")

    async def remind(session: AsyncSession) -> ReminderRun:
        return await send_due_reminders(
            session=session,
            now=job.now,
            texts=job.texts,
            channels=job.channels,
            zone=job.settings.timezone,
        )

    done = in_session(job.settings, remind)
    typer.echo(f"reminders: {done.sent}")
    typer.echo(f"skipped: {done.skipped}")
    typer.echo(f"queued: {done.queued}")
    quiet_hours_note(job.now, job.settings, "reminders due")
