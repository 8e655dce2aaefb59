"""Write turns: one writer at a time; a webhook's store goes before waiting batches."""

from __future__ import annotations

import asyncio

from db.session import Turns


async def test_writers_take_turns_in_order_with_the_urgent_ones_first() -> None:
    """While one holds the turn, the others queue: those asking `first` go next, each queue in
    the order of asking, and nobody holds it beside another."""
    turns = Turns()
    order: list[str] = []
    holding = 0
    release = asyncio.Event()

    async def write(name: str, *, first: bool = False, wait: bool = False) -> None:
        nonlocal holding
        async with turns.turn(first=first):
            holding += 1
            assert holding == 1
            order.append(name)
            if wait:
                await release.wait()
            await asyncio.sleep(0)
            holding -= 1

    holder = asyncio.create_task(write("batch 1", wait=True))
    await asyncio.sleep(0)
    others = [
        asyncio.create_task(write("batch 2")),
        asyncio.create_task(write("webhook a", first=True)),
        asyncio.create_task(write("settle")),
        asyncio.create_task(write("webhook b", first=True)),
    ]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, *others)
    assert order == ["batch 1", "webhook a", "webhook b", "batch 2", "settle"]


async def test_a_writer_that_gives_up_while_waiting_does_not_keep_the_turn() -> None:
    """Cancelled in the queue (a shut-down), a writer leaves it; the next one still writes."""
    turns = Turns()
    release = asyncio.Event()
    written: list[str] = []

    async def holder() -> None:
        async with turns.turn():
            await release.wait()

    async def write(name: str) -> None:
        async with turns.turn():
            written.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    quitter = asyncio.create_task(write("quitter"))
    after = asyncio.create_task(write("after"))
    await asyncio.sleep(0)
    quitter.cancel()
    release.set()
    await asyncio.gather(first, after)
    assert written == ["after"]
    async with asyncio.timeout(1):
        async with turns.turn():
            written.append("free")
    assert written == ["after", "free"]
