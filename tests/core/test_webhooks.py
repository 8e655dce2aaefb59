"""The webhooks' shared group commit: concurrent requests share commits, each waits for its own."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.core.webhooks import GroupCommit, StoreUnavailable
from db.enums import Channel
from db.repositories.inbox import InboxItem


def _item(key: str) -> InboxItem:
    return InboxItem(event_key=key, payload={})


class SlowInbox:
    """An ingest whose first commit waits for a signal, recording what each commit carried."""

    def __init__(self) -> None:
        self.commits: list[list[str]] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.failing = False
        self.refusals = 0  # commits still to refuse, as a busy database would

    async def ingest(self, _channel: Channel, items: Sequence[InboxItem]) -> int:
        """Record the commit; the first one is slow, and any may fail on demand."""
        self.commits.append([item.event_key for item in items])
        self.started.set()
        if len(self.commits) == 1:
            await self.release.wait()  # the first commit is slow; others queue up meanwhile
        if self.failing:
            raise OSError("disk full")
        if self.refusals:
            self.refusals -= 1
            raise OSError("database is locked")
        return len(items)


async def test_concurrent_requests_share_one_commit_and_its_failure() -> None:
    """Requests arriving during a commit share the next one; a failed commit fails each."""
    inbox = SlowInbox()
    group = GroupCommit(inbox.ingest, Channel.LINE, retry_delays=(0, 0))
    first = asyncio.create_task(group.store([_item("a")]))
    await inbox.started.wait()
    later = [asyncio.create_task(group.store([_item(key)])) for key in ("b", "c", "d")]
    await asyncio.sleep(0)
    inbox.release.set()
    await asyncio.gather(first, *later)
    assert inbox.commits == [["a"], ["b", "c", "d"]]

    inbox.failing = True
    waiting = [asyncio.create_task(group.store([_item(key)])) for key in ("e", "f")]
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert [type(result) for result in results] == [StoreUnavailable, StoreUnavailable]
    assert inbox.commits[2:] == [["e", "f"]] * 3  # tried three times, then given up
    await group.close()


async def test_issue11_d2_a_refused_commit_is_tried_again_before_failing() -> None:
    """A commit the database refuses twice (SQLite busy) succeeds on the third try, in time."""
    inbox = SlowInbox()
    inbox.release.set()
    inbox.refusals = 2
    group = GroupCommit(inbox.ingest, Channel.LINE, retry_delays=(0.01, 0.01))
    await asyncio.wait_for(group.store([_item("a")]), timeout=1)
    assert inbox.commits == [["a"]] * 3
    await group.close()


async def test_a_commit_carries_at_most_max_batch_items_but_always_one_request() -> None:
    """Waiting requests are split at the item bound; a request larger than it still goes whole."""
    inbox = SlowInbox()
    group = GroupCommit(inbox.ingest, Channel.TELEGRAM, max_batch=3)
    first = asyncio.create_task(group.store([_item("a")]))
    await inbox.started.wait()
    sizes = {"b": 2, "c": 2, "d": 5}
    later = [
        asyncio.create_task(group.store([_item(f"{key}{n}") for n in range(size)]))
        for key, size in sizes.items()
    ]
    await asyncio.sleep(0)
    inbox.release.set()
    await asyncio.gather(first, *later)
    await group.close()
    assert [len(commit) for commit in inbox.commits] == [1, 2, 2, 5]
