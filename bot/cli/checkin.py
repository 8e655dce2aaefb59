"""`citybot checkin run`: what the scheduler does for check-ins, once, now or at a chosen time.

The round of `CITYBOT_CHECKIN_CRON`'s latest time (if not run yet and at most a day old) and the
escalation steps due, through `handlers.progress.checkins.run_due`, the scheduler's own entry:
running it beside a serving bot, or twice, queues nothing twice. It only writes to the
database; the running bot's outbox worker does the sending.
"""

from __future__ import annotations

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import AsOf, in_session, push_run, quiet_hours_note
from handlers.progress.checkin_views import ChatCheckins
from handlers.progress.checkins import CheckinOutreach, Tally, run_due

app = typer.Typer(
    help="Check-ins: city teams asked about milestones due soon, reminded while silent.",
    no_args_is_help=True,
)


@app.command("run")
def run(as_of: AsOf = None) -> None:
    """Run the check-in round due (if not run yet) and the escalation steps due; print counts."""
    job = push_run(as_of, "check-ins")
    settings, now, zone = job.settings, job.now, job.settings.timezone
    outreach = CheckinOutreach(job.texts, job.channels, zone, ChatCheckins(zone))

    async def check_in(session: AsyncSession) -> Tally:
        return await run_due(
            session=session, cron=settings.citybot_checkin_cron, now=now, outreach=outreach
        )

    tally = in_session(settings, check_in)
    typer.echo(f"round: {tally.round}")
    typer.echo(f"officers: {tally.officers}")
    typer.echo(f"executive: {tally.executive}")
    typer.echo(f"silent: {tally.silent}")
    quiet_hours_note(now, settings, "messages due")
