"""`citybot checkin run`: what the scheduler does for check-ins, once, now or at a chosen time.

The round of `CITYBOT_CHECKIN_CRON`'s latest time (if not run yet and at most a day old) and the
escalation steps due, through `handlers.progress.checkins.run_due`, the scheduler's own entry:
running it beside a serving bot, or twice, queues nothing twice. It only writes to the
database; the running bot's outbox worker does the sending.
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
from db.base import utcnow
from handlers.progress.checkin_views import ChatCheckins
from handlers.progress.checkins import CheckinOutreach, Tally, run_due

app = typer.Typer(
    help="Check-ins: city teams asked about milestones due soon, reminded while silent.",
    no_args_is_help=True,
)


@app.command("run")
def run(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="ISO-DATETIME",
            help="Act as at this time, e.g. 2027-01-04T09:00 (CITYBOT_TIMEZONE unless an "
            "offset is given); now by default.",
        ),
    ] = None,
) -> None:
    """Run the check-in round due (if not run yet) and the escalation steps due; print counts."""
    settings = load_cli_settings()
    zone = settings.timezone
    now = parse_as_of(as_of, zone) if as_of is not None else utcnow()
    channels = require_push_channels(settings, "check-ins")
    texts = Texts.load(settings.content_dir)
    outreach = CheckinOutreach(texts, channels, zone, ChatCheckins(zone))

    async def check_in(session: AsyncSession) -> Tally:
        return await run_due(
            session=session, cron=settings.citybot_checkin_cron, now=now, outreach=outreach
        )

    tally = in_session(settings, check_in)
    typer.echo(f"round: {tally.round}")
    typer.echo(f"officers: {tally.officers}")
    typer.echo(f"executive: {tally.executive}")
    typer.echo(f"silent: {tally.silent}")
    if in_quiet_hours(now, zone):
        typer.echo(
            f"{local_minute(now, settings)} is in the quiet hours (21:00-08:00): "
            "messages due wait until 08:00"
        )
