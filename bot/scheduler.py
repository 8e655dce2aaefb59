"""Periodic work (scheduled announcements, reminders, housekeeping) in exactly one process.

APScheduler fires interval triggers in every process that runs it; a database lease makes only
the holder do the work, so several `citybot serve`/`worker` processes never send a reminder twice.
Reminders themselves are rows in our tables: a job picks up what is due, nothing lives in a job
store (APScheduler's job stores must not be shared between processes).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import Clock
from db.repositories.leases import acquire_lease, release_lease

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"


@dataclass(frozen=True, slots=True)
class Job:
    """A piece of periodic work: what it is called, how often, and what it does."""

    name: str
    every_seconds: float
    run: Callable[[], Awaitable[object]]


class Scheduler:
    """Interval jobs that run only while this process holds the scheduler lease."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        jobs: Sequence[Job],
        lease_ttl: timedelta = timedelta(seconds=30),
        holder: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._jobs = tuple(jobs)
        self._lease_ttl = lease_ttl
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.leader = False
        self._scheduler: AsyncIOScheduler | None = None

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

    async def run_job(self, job: Job) -> None:
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

    async def close(self) -> None:
        """Stop firing and hand the lease back so another process can lead at once."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        if self.leader:
            async with self._sessions() as session, session.begin():
                await release_lease(session=session, name=LEASE_NAME, holder=self.holder)
            self.leader = False
