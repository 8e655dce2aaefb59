"""`citybot reminders run`: what the scheduler does for deadline reminders, once, now or at a
chosen time.

It calls `bot.delivery.reminders.send_due_reminders`, the scheduler's own entry, so running it
beside a serving bot, or twice, sends no reminder twice. It only writes to the database; the
running bot's outbox worker does the sending.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import (
    in_session,
    load_cli_settings,
    local_minute,
    parse_as_of,
    require_push_channels,
)
from bot.core.dates import in_quiet_hours
from bot.core.texts import Texts
from bot.delivery.reminders import ReminderRun, send_due_reminders
from db.base import utcnow

app = typer.Typer(
    help="Deadline reminders: the cities that have not handed in a stage are told before it.",
    no_args_is_help=True,
)


@app.command("run")
def run(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="ISO-DATETIME",
            help="Act as at this time, e.g. 2027-02-12T16:30 (CITYBOT_TIMEZONE unless an "
            "offset is given); now by default.",
        ),
    ] = None,
) -> None:
    """Send the reminders due (each stage's latest); print reminders sent, skipped, messages."""
    settings = load_cli_settings()
    zone = settings.timezone
    now = parse_as_of(as_of, zone) if as_of is not None else utcnow()
    channels = require_push_channels(settings, "reminders")
    texts = Texts.load(settings.content_dir)

    async def remind(session: AsyncSession) -> ReminderRun:
        return await send_due_reminders(
            session=session, now=now, texts=texts, channels=channels, zone=zone
        )

    done = in_session(settings, remind)
    typer.echo(f"reminders: {done.sent}")
    typer.echo(f"skipped: {done.skipped}")
    typer.echo(f"queued: {done.queued}")
    if in_quiet_hours(now, zone):
        typer.echo(
            f"{local_minute(now, settings)} is in the quiet hours (21:00-08:00): "
            "reminders due wait until 08:00"
        )
