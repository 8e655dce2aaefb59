"""Long polling for development (no webhook secret): one poller across all processes.

Telegram lets only one getUpdates run per bot, so pollers take a lease row first; the others
stand by and take over when the holder stops or dies. The offset is saved after the updates are
in the inbox: a restart neither loses an update (Telegram serves it again until the saved offset
confirms it) nor handles one twice (the inbox drops a repeated `update_id`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from bot.channels.telegram.updates import ALLOWED_UPDATES, update_time
from bot.core.channel import Ingest
from bot.core.clock import Clock
from bot.core.failures import stop_if_cancelled
from db.enums import Channel
from db.repositories.cursors import get_cursor, save_cursor
from db.repositories.inbox import InboxItem
from db.repositories.leases import acquire_lease, release_lease

log = logging.getLogger(__name__)

LEASE_NAME = "telegram-poller"
OFFSET_CURSOR = "telegram-offset"
LONG_POLL_SECONDS = 25
# Longer than one long poll plus its request timeout, so a live holder always renews in time.
LEASE_TTL = timedelta(seconds=90)
STANDBY_RETRY_SECONDS = 15.0
ERROR_PAUSE_SECONDS = 5.0


def retry_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (a timedelta since PTB_TIMEDELTA is on)."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def update_items(updates: Sequence[Update]) -> list[InboxItem]:
    """Fetched updates as inbox rows, stored as the JSON Telegram sent (as a webhook would)."""
    items = []
    for update in updates:
        payload = json.loads(update.to_json())
        items.append(
            InboxItem(
                event_key=str(update.update_id), payload=payload, occurred_at=update_time(payload)
            )
        )
    return items


class TelegramPoller:
    """Holds the poller lease and feeds getUpdates into the inbox until stopped."""

    def __init__(
        self,
        *,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        ingest: Ingest,
        clock: Clock,
        long_poll: int = LONG_POLL_SECONDS,
        standby_retry: float = STANDBY_RETRY_SECONDS,
        error_pause: float = ERROR_PAUSE_SECONDS,
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self._ingest = ingest
        self._clock = clock
        self._long_poll = long_poll
        self._standby_retry = standby_retry
        self._error_pause = error_pause
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.polling = False  # whether this process holds the lease right now
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._in_database = False

    def start(self) -> None:
        """Begin polling in the background."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="telegram-poller")

    async def stop(self) -> None:
        """Stop polling and give up the lease so another process need not wait for it.

        A long poll in flight is cancelled; a database write in flight is let finish, so the
        offset always matches what was stored.
        """
        self._stopping = True
        task, self._task = self._task, None
        if task is None:
            return
        if not self._in_database:
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if self.polling:
            async with self._sessions() as session, session.begin():
                await release_lease(session=session, name=LEASE_NAME, holder=self.holder)
            self.polling = False

    async def _run(self) -> None:
        # `stop` cancels only outside database work; after such work, `_stopping` is checked
        # before anything that could wait long.
        while not self._stopping:
            try:
                if await self._hold_lease():
                    await self.poll_once()
                elif not self._stopping:
                    await asyncio.sleep(self._standby_retry)
            except asyncio.CancelledError:
                raise
            except Exception:
                stop_if_cancelled()
                log.exception("telegram poller: a round failed; trying again shortly")
                if not self._stopping:
                    await asyncio.sleep(self._error_pause)

    async def _hold_lease(self) -> bool:
        self._in_database = True
        try:
            async with self._sessions() as session, session.begin():
                held = await acquire_lease(
                    session=session,
                    name=LEASE_NAME,
                    holder=self.holder,
                    now=self._clock.now(),
                    ttl=LEASE_TTL,
                )
        finally:
            self._in_database = False
        if held != self.polling:
            log.info(
                "telegram poller %s: %s",
                self.holder,
                "polling" if held else "standing by (another process polls)",
            )
        self.polling = held
        return held

    async def poll_once(self) -> int:
        """One getUpdates round: store what came, then confirm it; how many updates came."""
        self._in_database = True
        try:
            async with self._sessions() as session:
                saved = await get_cursor(session=session, name=OFFSET_CURSOR)
        finally:
            self._in_database = False
        if self._stopping:
            return 0
        try:
            updates = await self._bot.get_updates(
                offset=int(saved) if saved else None,
                timeout=self._long_poll,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        except RetryAfter as error:
            await asyncio.sleep(retry_seconds(error))
            return 0
        except Conflict as error:
            log.error(
                "telegram poller: getUpdates conflicts with a webhook or another poller (%s); "
                "set TELEGRAM_WEBHOOK_SECRET, or run `citybot telegram delete-webhook`",
                error,
            )
            await asyncio.sleep(self._error_pause)
            return 0
        except InvalidToken as error:
            log.error("telegram poller: the bot token was rejected (%s)", error)
            await asyncio.sleep(self._standby_retry)
            return 0
        except TelegramError as error:  # network trouble: the next round asks again
            log.warning("telegram poller: getUpdates failed: %s", error)
            await asyncio.sleep(self._error_pause)
            return 0
        if not updates:
            return 0
        self._in_database = True
        try:
            await self._ingest(Channel.TELEGRAM, update_items(updates))
            async with self._sessions() as session, session.begin():
                await save_cursor(
                    session=session,
                    name=OFFSET_CURSOR,
                    value=str(max(update.update_id for update in updates) + 1),
                    now=self._clock.now(),
                )
        finally:
            self._in_database = False
        return len(updates)
