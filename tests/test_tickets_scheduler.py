"""The ticket reminder on the scheduler: a crontab job in Bangkok time, run by the leader only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FrozenClock
from bot.scheduler import CronJob
from bot.settings import SettingsError, load_settings
from db.enums import Channel, Role
from handlers.questions import service
from handlers.questions.notices import ChatNotices
from tests.conftest import AppFactory
from tests.factories import add_member, line, telegram
from tests.handlers.checkin_teams import outbox
from tests.handlers.submissions_kit import BANGKOK, bangkok

LINE = {
    "line_channel_secret": "line-secret",
    "line_channel_access_token": "line-token",
    "line_api_base_url": "http://127.0.0.1:9",  # never called: nothing is delivered here
}


@pytest.mark.usefixtures("isolated_settings")
def test_the_reminder_schedule_is_read_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hourly in office hours on weekdays by default; a mistyped one names the variable."""
    assert load_settings().citybot_ticket_reminder_cron == "0 8-20 * * MON-FRI"
    monkeypatch.setenv("CITYBOT_TICKET_REMINDER_CRON", "every hour")
    with pytest.raises(SettingsError, match=r"^CITYBOT_TICKET_REMINDER_CRON: 'every hour' is"):
        load_settings()


async def test_the_leading_app_reminds_of_unanswered_questions_once(
    make_app: AppFactory,
) -> None:
    """A Friday question: the app's `tickets.remind` job on Tuesday reminds the coordinator; the
    second app (not leading) and a second run add nothing."""
    clock = FrozenClock(bangkok("2027-01-12T16:00"))
    leader, follower = await make_app(clock=clock, **LINE), await make_app(clock, **LINE)
    async with leader.sessions() as session, session.begin():
        await add_member(session, "depa", Role.COORDINATOR, [line("2")])
        officer = await add_member(session, "yala", Role.OFFICER, [telegram("3")])
        outreach = service.Outreach(
            texts=leader.dispatcher.services.texts,
            channels=(Channel.LINE,),
            notices=ChatNotices(BANGKOK),
            zone=BANGKOK,
        )
        ticket = await service.ask(
            session=session,
            member=officer,
            question="ขอรายชื่อวิทยากร",
            channel=Channel.TELEGRAM,
            now=bangkok("2027-01-08T15:00"),
            outreach=outreach,
        )
    job = next(job for job in leader.scheduler.jobs if job.name == "tickets.remind")
    assert isinstance(job, CronJob) and job.cron == "0 8-20 * * MON-FRI"
    fires = leader.scheduler.next_run_time("tickets.remind")
    assert fires is None or fires.utcoffset() == timedelta(hours=7)

    assert await leader.scheduler.renew()
    assert not await follower.scheduler.renew()
    for app in (follower, leader, leader):
        await app.scheduler.run_job(job)

    (reminder,) = (await outbox(leader.sessions, f"ticket:{ticket.id}:reminder")).values()
    assert reminder.channel is Channel.LINE
