"""Check-ins and the digest on the scheduler: crontab jobs in Bangkok time, run by the leader."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.clock import FrozenClock
from bot.core.schedules import ScheduleError, cron_trigger, latest_time
from bot.scheduler import CronJob, Job, Scheduler
from bot.settings import SettingsError, load_settings
from db.enums import Role
from db.models import CheckinRound
from tests.conftest import AppFactory, Database
from tests.factories import add_member, line
from tests.handlers.checkin_teams import BANGKOK, ROUND_AT, bangkok, outbox

LINE = {
    "line_channel_secret": "line-secret",
    "line_channel_access_token": "line-token",
    "line_api_base_url": "http://127.0.0.1:9",  # never called: nothing is delivered here
}


async def test_crontab_jobs_fire_in_the_zone_and_run_only_in_the_leader(
    database: Database, clock: FrozenClock
) -> None:
    """A crontab job is scheduled at its local time; of two schedulers only the leader runs it."""
    runs: list[str] = []

    def scheduler(name: str) -> tuple[Scheduler, CronJob]:
        async def work() -> None:
            runs.append(name)

        job = CronJob("weekly", "0 9 * * MON", work)
        made = Scheduler(
            sessions=database.sessions, clock=clock, jobs=[job], zone=BANGKOK, holder=name
        )
        return made, job

    (leader, leader_job), (follower, follower_job) = scheduler("leader"), scheduler("follower")
    await leader.start()
    try:
        assert leader.leader and not await follower.renew()
        await leader.run_job(leader_job)
        await follower.run_job(follower_job)
        assert runs == ["leader"]
        fires = leader.next_run_time("weekly")
        assert fires is not None
        assert (fires.weekday(), fires.hour, fires.minute, fires.utcoffset()) == (
            0,
            9,
            0,
            timedelta(hours=7),
        )
        assert leader.next_run_time("no-such-job") is None
    finally:
        await leader.close()


def test_latest_time_looks_back_within_the_grace() -> None:
    """The Monday 09:00 schedule's latest time: itself at 09:00, still at 10:30, gone a day on."""
    day = timedelta(days=1)
    assert latest_time("0 9 * * MON", BANGKOK, ROUND_AT, within=day) == ROUND_AT
    assert latest_time("0 9 * * MON", BANGKOK, bangkok(4, 10, 30), within=day) == ROUND_AT
    assert latest_time("0 9 * * MON", BANGKOK, bangkok(4, 8, 59), within=day) is None
    assert latest_time("0 9 * * MON", BANGKOK, bangkok(5, 9, 1), within=day) is None
    assert latest_time("*/5 * * * *", BANGKOK, bangkok(5, 9, 7), within=day) == bangkok(5, 9, 5)
    with pytest.raises(ScheduleError, match="not a crontab schedule"):
        cron_trigger("0 9 * *", BANGKOK)


@pytest.mark.usefixtures("isolated_settings")
def test_a_mistyped_schedule_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each schedule is read at load; the error names the variable and what is wrong."""
    assert load_settings().citybot_checkin_cron == "0 9 * * MON"
    assert load_settings().citybot_digest_cron == "30 8 * * MON"
    monkeypatch.setenv("CITYBOT_DIGEST_CRON", "30 8 * * MONDAY")
    with pytest.raises(SettingsError, match=r"^CITYBOT_DIGEST_CRON: '30 8 \* \* MONDAY' is not"):
        load_settings()


async def test_the_app_runs_check_ins_and_the_digest_in_its_leader(make_app: AppFactory) -> None:
    """The app schedules the round and the digest on their settings in Bangkok time, and the
    five-minute job; the leading app's run queues the round, a second app's run nothing."""
    clock = FrozenClock(bangkok(4, 9, 0) + timedelta(seconds=1))
    settings: dict[str, Any] = {**LINE, "citybot_digest_cron": "0 9 * * MON"}
    leader, follower = await make_app(clock=clock, **settings), await make_app(clock, **settings)
    async with leader.sessions() as session, session.begin():
        await add_member(session, "khon-kaen", Role.OFFICER, [line("1")])
        await add_member(session, "depa", Role.COORDINATOR, [line("2")])
    jobs = {job.name: job for job in leader.scheduler.jobs}
    round_job, digest_job, due_job = (
        jobs["checkins.round"],
        jobs["progress.digest"],
        jobs["checkins.due"],
    )
    assert isinstance(round_job, CronJob) and round_job.cron == "0 9 * * MON"
    assert isinstance(digest_job, CronJob) and digest_job.cron == "0 9 * * MON"
    assert isinstance(due_job, Job) and due_job.every_seconds == 300

    assert await leader.scheduler.renew()
    assert not await follower.scheduler.renew()
    for app in (follower, leader):
        for name in ("checkins.round", "progress.digest", "checkins.due"):
            job = next(job for job in app.scheduler.jobs if job.name == name)
            await app.scheduler.run_job(job)

    async with leader.sessions() as session:
        rounds = await session.scalar(select(func.count()).select_from(CheckinRound))
    assert rounds == 1  # Khon Kaen: the one city with someone to ask
    assert len(await outbox(leader.sessions, "checkin:")) == 1
    assert len(await outbox(leader.sessions, "digest:2027-W01:")) == 1
