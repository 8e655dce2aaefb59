"""The scheduler: one leader among processes, jobs only in the leader, hand-over on close."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.scheduler import Job, Scheduler
from tests.conftest import Database


async def test_only_the_lease_holder_runs_jobs(database: Database, clock: FrozenClock) -> None:
    """Of two schedulers on one database one leads; the other takes over when it closes."""
    runs: list[str] = []

    def scheduler(name: str) -> tuple[Scheduler, Job]:
        async def work() -> None:
            runs.append(name)

        job = Job("work", 3600, work)
        return Scheduler(sessions=database.sessions, clock=clock, jobs=[job], holder=name), job

    (first, first_job), (second, second_job) = scheduler("first"), scheduler("second")
    assert await first.renew()
    assert not await second.renew()
    await first.run_job(first_job)
    await second.run_job(second_job)
    assert runs == ["first"]
    await first.close()
    assert await second.renew()
    await second.run_job(second_job)
    assert runs == ["first", "second"]


async def test_a_dead_leaders_lease_expires(database: Database, clock: FrozenClock) -> None:
    """A leader that stops renewing loses the lease after its time-to-live."""
    dead = Scheduler(sessions=database.sessions, clock=clock, jobs=[], holder="dead")
    alive = Scheduler(sessions=database.sessions, clock=clock, jobs=[], holder="alive")
    assert await dead.renew()
    clock.advance(timedelta(seconds=29))
    assert not await alive.renew()
    clock.advance(timedelta(seconds=2))
    assert await alive.renew()
    assert not await dead.renew()


async def test_a_failing_job_is_logged_not_fatal(database: Database, clock: FrozenClock) -> None:
    """A job that raises leaves the scheduler running for the next round."""

    async def broken() -> None:
        raise RuntimeError("boom")

    scheduler = Scheduler(
        sessions=database.sessions, clock=clock, jobs=[Job("broken", 60, broken)], holder="x"
    )
    await scheduler.start()
    try:
        assert scheduler.leader
        await scheduler.run_job(Job("broken", 60, broken))
    finally:
        await scheduler.close()
    assert not scheduler.leader
