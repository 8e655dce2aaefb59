"""Periodic work (scheduled announcements, reminders, check-ins, digests) in exactly one process.

APScheduler fires interval and crontab triggers in every process that runs it; a database lease
makes only the holder do the work, so several `citybot serve`/`worker` processes never send a
reminder twice. Reminders themselves are rows in our tables: a job picks up what is due, nothing
lives in a job store (APScheduler's job stores must not be shared between processes). For the
same reason a crontab job does not rely on being fired on time: its work looks back for the
schedule's latest time and does it if not done yet (see `bot.core.schedules`), and an interval
job beside it catches up a time missed while no process led.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import Clock
from bot.core.schedules import cron_trigger
from db.repositories.leases import acquire_lease, release_lease

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# A crontab job fired this late (a stalled loop) still runs; its work knows what is due anyway.
CRON_MISFIRE_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Job:
    """A piece of periodic work: what it is called, how often, and what it does."""

    name: str
    every_seconds: float
    run: Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class CronJob:
    """Work at the times of a crontab schedule (`0 9 * * MON`), read in the scheduler's zone."""

    name: str
    cron: str
    run: Callable[[], Awaitable[object]]


class Scheduler:
    """Interval and crontab jobs that run only while this process holds the scheduler lease."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        jobs: Sequence[Job | CronJob],
        zone: ZoneInfo | None = None,
        lease_ttl: timedelta = timedelta(seconds=30),
        holder: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._jobs = tuple(jobs)
        self._zone = zone or ZoneInfo("UTC")
        self._lease_ttl = lease_ttl
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.leader = False
        self._scheduler: AsyncIOScheduler | None = None

    @property
    def jobs(self) -> tuple[Job | CronJob, ...]:
        """The work this scheduler fires (while it leads)."""
        return self._jobs

    async def renew(self) -> bool:
        """Take or keep the lease; whether this process leads now."""
        async with self._sessions() as session, session.begin():
            leading = await acquire_lease(
                session=session,
                name=LEASE_NAME,
                holder=self.holder,
                now=self._clock.now(),
                ttl=self._lease_ttl,
            )
        if leading != self.leader:
            log.info("scheduler: %s %s", self.holder, "leads" if leading else "stands by")
        self.leader = leading
        return leading

    async def run_job(self, job: Job | CronJob) -> None:
        """Run `job` if this process leads; a failure is logged and retried next time."""
        if not self.leader:
            return
        try:
            await job.run()
        except Exception:
            log.exception("scheduler: job %s failed", job.name)

    async def start(self) -> None:
        """Try for the lease, then fire the jobs on their intervals."""
        await self.renew()
        scheduler = AsyncIOScheduler(timezone="UTC")
        renew_every = self._lease_ttl.total_seconds() / 3
        scheduler.add_job(
            self.renew,
            "interval",
            seconds=renew_every,
            id="lease",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(renew_every),
        )
        for job in self._jobs:
            if isinstance(job, CronJob):
                scheduler.add_job(
                    self.run_job,
                    cron_trigger(job.cron, self._zone),
                    args=[job],
                    id=job.name,
                    coalesce=True,
                    max_instances=1,
                    misfire_grace_time=CRON_MISFIRE_SECONDS,
                )
                continue
            scheduler.add_job(
                self.run_job,
                "interval",
                args=[job],
                seconds=job.every_seconds,
                id=job.name,
                coalesce=True,  # after a stall, run once, not once per missed interval
                max_instances=1,
                misfire_grace_time=max(int(job.every_seconds), 1),
            )
        scheduler.start()
        self._scheduler = scheduler

    def next_run_time(self, name: str) -> datetime | None:
        """When the job `name` fires next (None: not started, or no such job)."""
        job = self._scheduler.get_job(name) if self._scheduler is not None else None
        return job.next_run_time if job is not None else None

    async def close(self) -> None:
        """Stop firing and hand the lease back so another process can lead at once."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        if self.leader:
            async with self._sessions() as session, session.begin():
                await release_lease(session=session, name=LEASE_NAME, holder=self.holder)
            self.leader = False
