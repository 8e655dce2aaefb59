"""What the progress chat tests share: a deployment that pushes, a platform's files, lookups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.core.clock import FrozenClock
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.core.events import FileReceived
from bot.core.files import Download, FileTooLarge, FileUnavailable
from bot.core.replies import Reply, Text, reply_from_data
from bot.core.texts import Texts
from bot.settings import Settings
from db.enums import Channel, ChatKind, OrganisationKind
from db.models import (
    Chat,
    ConversationState,
    Identity,
    Milestone,
    Organisation,
    OutboundMessage,
    Plan,
    ProgressUpdate,
)
from handlers import ROUTERS
from tests.chatdriver import ChatDriver
from tests.conftest import Database

Register = Callable[..., Awaitable[ChatDriver]]


def progress_dispatcher(
    db: Database, texts: Texts, clock: FrozenClock, media_dir: Path, **settings: Any
) -> Dispatcher:
    """The real dispatcher where LINE and Telegram push, evidence kept under `media_dir`."""
    configured = Settings(
        _env_file=None,
        database_url=db.url,
        line_channel_secret="line-secret",
        line_channel_access_token="line-token",
        telegram_bot_token="123456:telegram-token",
        citybot_media_dir=media_dir,
        **settings,
    )
    services = Services(settings=configured, texts=texts, clock=clock)
    return Dispatcher(sessions=db.sessions, routers=ROUTERS, services=services)


@dataclass
class PlatformFiles:
    """A platform's store of the files people sent (a `FileSource`), by file reference."""

    files: dict[str, bytes] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)

    async def fetch_file(self, file_ref: str, *, max_bytes: int) -> Download:
        """The file's bytes; FileTooLarge past `max_bytes`, FileUnavailable when unknown."""
        self.fetched.append(file_ref)
        content = self.files.get(file_ref)
        if content is None:
            raise FileUnavailable(f"no file {file_ref}")
        if len(content) > max_bytes:
            raise FileTooLarge(max_bytes)
        return Download(content=content, content_type="image/png")


async def send_file(driver: ChatDriver, file_ref: str, kind: str = "image") -> list[Reply]:
    """The person sends a photo or a file."""
    now = driver.dispatcher.services.clock.now()
    event = FileReceived(
        user=driver.user, chat=driver.chat, occurred_at=now, kind=kind, file_ref=file_ref
    )
    return await driver.event(event)


async def milestone(db: Database, org: str, key: str) -> Milestone:
    """The city's milestone `key` as stored now."""
    async with db.sessions() as session:
        found = await session.scalar(
            select(Milestone)
            .join(Plan, Milestone.plan_id == Plan.id)
            .join(Organisation, Plan.organisation_id == Organisation.id)
            .where(Organisation.slug == org, Milestone.key == key)
        )
        assert found is not None, (org, key)
        return found


async def reports(db: Database) -> list[ProgressUpdate]:
    """Every progress report, oldest first."""
    async with db.sessions() as session:
        return list(await session.scalars(select(ProgressUpdate).order_by(ProgressUpdate.id)))


async def identity_of(db: Database, driver: ChatDriver) -> Identity:
    """The driver's chat account."""
    async with db.sessions() as session:
        found = await session.scalar(
            select(Identity).where(
                Identity.channel == driver.channel, Identity.external_id == driver.user_id
            )
        )
        assert found is not None and found.member_id is not None
        return found


async def step_of(db: Database, driver: ChatDriver) -> str | None:
    """Where the driver stands in a flow (None outside any)."""
    identity = await identity_of(db, driver)
    async with db.sessions() as session:
        state = await session.scalar(
            select(ConversationState).where(ConversationState.identity_id == identity.id)
        )
        return state.step if state is not None else None


async def pushed(db: Database, prefix: str = "progress.") -> list[OutboundMessage]:
    """Messages queued to LINE or Telegram whose key starts with `prefix`, oldest first."""
    async with db.sessions() as session:
        return list(
            await session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.idempotency_key.startswith(prefix))
                .order_by(OutboundMessage.id)
            )
        )


def words(row: OutboundMessage) -> str:
    """The text of a queued message."""
    replies = [reply_from_data(data) for data in row.payload["replies"]]
    return "\n".join(reply.text for reply in replies if isinstance(reply, Text))


async def bind_group(db: Database, org: str, external_id: str) -> Chat:
    """A LINE group bound to the city as its team's chat."""
    async with db.sessions() as session, session.begin():
        city = await session.scalar(select(Organisation).where(Organisation.slug == org))
        assert city is not None
        chat = Chat(
            channel=Channel.LINE,
            external_id=external_id,
            kind=ChatKind.GROUP,
            organisation_id=city.id,
            active=True,
        )
        session.add(chat)
    return chat


async def add_partner_firm(db: Database, slug: str = "test-firm") -> None:
    """A partner firm to invite partners to (the content has none)."""
    async with db.sessions() as session, session.begin():
        session.add(
            Organisation(
                slug=slug, kind=OrganisationKind.PARTNER, name_th="บริษัททดสอบ", name_en="Firm"
            )
        )


async def plans_made_at(db: Database, when: datetime) -> None:
    """Every plan dated `when`: a city that never reported is silent since then."""
    async with db.sessions() as session, session.begin():
        for plan in await session.scalars(select(Plan)):
            plan.created_at = when
