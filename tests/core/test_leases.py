"""Lease renewal: on time while work goes on, and never cut off halfway when the work ends."""

from __future__ import annotations

import asyncio

from bot.core.leases import renewed


async def test_a_renewal_under_way_when_the_work_ends_is_finished_not_cancelled() -> None:
    """The block ends while a renewal waits (for the database, say): it completes first."""
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[bool] = []

    async def renew() -> None:
        started.set()
        await release.wait()
        finished.append(True)

    async def work() -> None:
        async with renewed(0.01, renew):
            await started.wait()

    ending = asyncio.create_task(work())
    await started.wait()
    await asyncio.sleep(0.05)
    assert not ending.done()  # the block is over, its renewal is not: it waits for it
    release.set()
    await ending
    assert finished == [True]


async def test_renewals_come_every_interval_and_stop_with_the_work() -> None:
    """While the block runs, `renew` is called about every interval; none after it ends."""
    calls: list[float] = []

    async def renew() -> None:
        calls.append(asyncio.get_running_loop().time())

    async with renewed(0.02, renew):
        await asyncio.sleep(0.11)
    count = len(calls)
    await asyncio.sleep(0.06)
    assert 3 <= count <= 6
    assert len(calls) == count
