"""The composition root: everything a running bot needs, built once from Settings.

The CLI builds an App for one command and closes it; `serve` lets the web lifespan start and
stop it. Later parts (dispatcher, channels, delivery workers, scheduler) become fields here and
join `start`/`close`, so no module reaches for globals.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.answering import AnsweringChannel
from bot.core.channel import ChannelAdapter, Wiring
from bot.core.clock import Clock, SystemClock
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.core.failures import InboxRetries
from bot.core.files import FileSource
from bot.core.inbox import InboxProcessor
from bot.core.texts import Texts
from bot.delivery.announcements import push_channels, release_due
from bot.delivery.limits import DeliveryLimits, RateSettings
from bot.delivery.notices import alert_admins, alert_dead_letter
from bot.delivery.reminders import send_due_reminders
from bot.delivery.worker import OutboxWorker
from bot.imports import collector_paused
from bot.scheduler import CronJob, Job, Scheduler
from bot.seeding.holidays import holiday_dates
from bot.settings import Settings
from db.enums import Channel
from db.session import create_engine, create_session_factory
from handlers import ROUTERS
from handlers.progress.checkin_views import ChatCheckins
from handlers.progress.checkins import CheckinOutreach, run_due
from handlers.progress.digest import DigestOutreach, send_due_digest
from handlers.progress.digest_views import ChatDigest
from handlers.questions.notices import ChatNotices as TicketNotices
from handlers.questions.service import Outreach as TicketOutreach
from handlers.questions.service import remind_unanswered

log = logging.getLogger(__name__)

AnsweringT = TypeVar("AnsweringT", bound=AnsweringChannel[Any])

# How long the inbox and outbox loops may take to finish their batch at shutdown.
LOOPS_STOP_SECONDS = 5.0

# How often the leader looks for check-in steps due (and a round or digest missed or held back).
CHECKINS_EVERY_SECONDS = 300

# asyncpg waits 60 s for a connection by default; an operator or a probe should hear sooner.
DATABASE_CONNECT_TIMEOUT_SECONDS = 10.0


class DatabaseUnavailable(Exception):
    """The database cannot be used as configured; the message says why."""


def require_sqlite_directory(database_url: str) -> None:
    """Raise DatabaseUnavailable when a SQLite file would live in a missing directory.

    SQLite itself only says "unable to open database file"; and after a failed connect,
    aiosqlite's worker thread can outlive a short-lived event loop and crash noisily.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    directory = Path(url.database).expanduser().resolve().parent
    if not directory.is_dir():
        raise DatabaseUnavailable(f"DATABASE_URL: directory {directory} does not exist")


def rate_settings(settings: Settings) -> RateSettings:
    """The delivery limits as configured."""
    return RateSettings(
        telegram_per_second=settings.citybot_telegram_per_second,
        telegram_chat_per_second=settings.citybot_telegram_chat_per_second,
        telegram_group_per_minute=settings.citybot_telegram_group_per_minute,
        line_multicast_per_second=settings.citybot_line_multicast_per_second,
        line_push_per_second=settings.citybot_line_push_per_second,
    )


def database_engine(settings: Settings) -> AsyncEngine:
    """The configured database's engine; connecting to PostgreSQL gives up after a while."""
    connect_args: dict[str, object] = {}
    if settings.database_url.startswith("postgresql"):
        connect_args["timeout"] = DATABASE_CONNECT_TIMEOUT_SECONDS
    return create_engine(settings.database_url, connect_args=connect_args)


def platform_adapters(wiring: Wiring) -> Sequence[ChannelAdapter]:
    """The platform channels the settings enable (each imports its SDK only when enabled)."""
    adapters: list[ChannelAdapter] = []
    if wiring.settings.line_enabled:
        with collector_paused():
            from bot.channels.line import LineChannel

        adapters.append(LineChannel.create(wiring))
    if wiring.settings.telegram_enabled:
        with collector_paused():
            from bot.channels.telegram import TelegramChannel

        adapters.append(TelegramChannel.create(wiring))
    return adapters


async def channel_paused(
    sessions: async_sessionmaker[AsyncSession], services: Services, channel: Channel, reason: str
) -> None:
    """A channel stopped pushing (LINE's monthly quota): the admins hear of it elsewhere."""
    async with sessions() as session, session.begin():
        await alert_admins(
            session=session,
            texts=services.texts,
            paused=channel,
            reason=reason,
            channels=push_channels(services.settings),
            now=services.clock.now(),
        )


async def inbox_dead_letter(
    services: Services, session: AsyncSession, kind: str, reason: str
) -> None:
    """An incoming message was set aside: the admins hear of it (once an hour per kind)."""
    await alert_dead_letter(
        session=session,
        texts=services.texts,
        kind=kind,
        reason=reason,
        channels=push_channels(services.settings),
        now=services.clock.now(),
    )


def periodic_jobs(
    sessions: async_sessionmaker[AsyncSession],
    services: Services,
    outbox: OutboxWorker,
) -> list[Job | CronJob]:
    """What the leading process does on a timer; each job wakes the outbox when it queued."""
    channels = push_channels(services.settings)

    async def release_announcements() -> None:
        async with sessions() as session, session.begin():
            released = await release_due(
                session=session, now=services.clock.now(), texts=services.texts, channels=channels
            )
        if released:
            outbox.wake()

    async def remind_deadlines() -> None:
        async with sessions() as session, session.begin():
            done = await send_due_reminders(
                session=session,
                now=services.clock.now(),
                texts=services.texts,
                channels=channels,
                zone=services.zone,
            )
        if done.sent or done.skipped:
            log.info(
                "reminders: %d sent (%d messages), %d skipped",
                done.sent,
                done.queued,
                done.skipped,
            )
        if done.queued:
            outbox.wake()

    settings, zone = services.settings, services.zone
    checkin = CheckinOutreach(services.texts, channels, zone, ChatCheckins(zone))
    digest = DigestOutreach(services.texts, channels, zone, ChatDigest(zone))

    async def check_in() -> None:
        async with sessions() as session, session.begin():
            done = await run_due(
                session=session,
                cron=settings.citybot_checkin_cron,
                now=services.clock.now(),
                outreach=checkin,
            )
        if done.rounds or done.queued or done.silent:
            log.info(
                "check-ins: %d cities asked, queued round %d, officers %d, executive %d; "
                "%d cities silent",
                len(done.rounds),
                done.round,
                done.officers,
                done.executive,
                done.silent,
            )
        if done.queued:
            outbox.wake()

    async def send_digest() -> None:
        async with sessions() as session, session.begin():
            queued = await send_due_digest(
                session=session,
                cron=settings.citybot_digest_cron,
                now=services.clock.now(),
                outreach=digest,
            )
        if queued:
            log.info("digest: queued %d messages", queued)
            outbox.wake()

    tickets = TicketOutreach(
        texts=services.texts,
        channels=channels,
        notices=TicketNotices(zone),
        zone=zone,
        holidays=holiday_dates(settings.content_dir),
    )

    async def remind_tickets() -> None:
        async with sessions() as session, session.begin():
            reminded = await remind_unanswered(
                session=session, now=services.clock.now(), outreach=tickets
            )
        if reminded:
            log.info("tickets: coordinators reminded of %d unanswered questions", reminded)
            outbox.wake()

    async def catch_up() -> None:
        await check_in()
        await send_digest()

    return [
        Job("announcements.release_due", 15, release_announcements),
        Job("reminders.send_due", 60, remind_deadlines),
        CronJob("checkins.round", settings.citybot_checkin_cron, check_in),
        CronJob("progress.digest", settings.citybot_digest_cron, send_digest),
        CronJob("tickets.remind", settings.citybot_ticket_reminder_cron, remind_tickets),
        Job("checkins.due", CHECKINS_EVERY_SECONDS, catch_up),
    ]


@dataclass
class App:
    """The bot's long-lived parts, owned in one place."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    dispatcher: Dispatcher
    adapters: dict[Channel, ChannelAdapter]
    inbox: InboxProcessor
    outbox: OutboxWorker
    scheduler: Scheduler
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def create(cls, settings: Settings, *, clock: Clock | None = None) -> App:
        """Build the parts from `settings`; nothing connects until first use.

        Message texts are loaded and cross-checked here, so a broken translation stops the
        start instead of reaching a person as a blank message.
        """
        engine = database_engine(settings)
        sessions = create_session_factory(engine)
        services = Services(
            settings=settings, texts=Texts.load(settings.content_dir), clock=clock or SystemClock()
        )
        dispatcher = Dispatcher(sessions=sessions, routers=ROUTERS, services=services)
        adapters: dict[Channel, ChannelAdapter] = {}
        outbox = OutboxWorker(
            sessions=sessions,
            adapters=adapters,
            clock=services.clock,
            limits=DeliveryLimits(rate_settings(settings)),
            lease=timedelta(seconds=settings.citybot_outbox_lease_seconds),
            on_paused=partial(channel_paused, sessions, services),
        )
        inbox = InboxProcessor(
            engine=engine,
            sessions=sessions,
            dispatcher=dispatcher,
            adapters=adapters,
            clock=services.clock,
            on_replies_queued=outbox.wake,
            hand_over=outbox.hand_over,
            on_dead_letter=partial(inbox_dead_letter, services),
            retries=InboxRetries(max_attempts=settings.citybot_inbox_max_attempts),
        )
        wiring = Wiring(settings, inbox.ingest, sessions, services.clock)
        for adapter in platform_adapters(wiring):
            adapters[adapter.channel] = adapter
            if isinstance(adapter, FileSource):
                services.files.register(adapter.channel, adapter)
        scheduler = Scheduler(
            sessions=sessions,
            clock=services.clock,
            jobs=periodic_jobs(sessions, services, outbox),
            zone=services.zone,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            dispatcher=dispatcher,
            adapters=adapters,
            inbox=inbox,
            outbox=outbox,
            scheduler=scheduler,
        )

    def answer_in_person(self, kind: type[AnsweringT]) -> AnsweringT:
        """Serve `kind` (the console, the simulator) here: its callers wait in this process.

        Only the process its callers wait in may handle its events, so the channel joins this
        App's adapters only where it is used (`citybot console`, the web app's simulator).
        """
        channel = kind(
            ingest=self.inbox.ingest, drive=self.pump, services=self.dispatcher.services
        )
        self.adapters[channel.channel] = channel
        return channel

    async def pump(self, channel: Channel) -> int:
        """One round of inbox and outbox work on `channel`, for a caller waiting on an answer.

        0 while the background loops run: they do the work, and the caller only waits.
        """
        if self._tasks:
            return 0
        handled = await self.inbox.process_available([channel])
        await self.outbox.sent()
        return handled + await self.outbox.deliver_due([channel])

    async def start(self, *, loops: bool = True) -> None:
        """Start the channels and (unless `loops` is False, as in tests) the inbox and outbox.

        The web lifespan calls this; tests drive the loops step by step with `drain`.
        """
        for adapter in self.adapters.values():
            await adapter.start()
        if loops and self.adapters:
            self._tasks = [
                asyncio.create_task(self.inbox.run(), name="inbox"),
                asyncio.create_task(self.outbox.run(), name="outbox"),
            ]
            # Without a platform there is nobody to push to: reminders wait rather than vanish.
            if push_channels(self.settings):
                await self.scheduler.start()

    async def close(self) -> None:
        """Stop background work and release connections; safe to call twice."""
        await self.scheduler.close()
        tasks, self._tasks = self._tasks, []
        if tasks:
            # Stopped between batches rather than cancelled: a database call cut off halfway
            # leaves its driver thread answering a loop that may be gone (aiosqlite).
            self.inbox.stop()
            self.outbox.stop()
            _, running = await asyncio.wait(tasks, timeout=LOOPS_STOP_SECONDS)
            for task in running:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.outbox.sent()
        for adapter in self.adapters.values():
            await adapter.close()
        await self.engine.dispose()

    async def drain(self, rounds: int = 50) -> None:
        """Process the inbox and send the outbox until neither has anything due now."""
        for _ in range(rounds):
            handled = await self.inbox.process_available()
            await self.outbox.sent()
            if not handled + await self.outbox.deliver_due():
                return

    async def check_database(self) -> None:
        """Raise unless the database answers `SELECT 1` (callers bound the wait)."""
        require_sqlite_directory(self.settings.database_url)
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
