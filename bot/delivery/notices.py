"""Notices: a message queued to chosen members, each in their language, on one account each."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Generic, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.replies import Reply, Text
from bot.core.settling import reply_payload
from bot.core.texts import Texts, Translator
from bot.delivery.announcements import push_channels
from db.enums import Channel, Language
from db.models import Chat
from db.repositories import audit
from db.repositories.announcements import approver_ids
from db.repositories.audiences import resolve_members
from db.repositories.outbox import Draft, enqueue_many

# A message to write in each recipient's language: a translator in, replies out.
Compose = Callable[[Translator], list[Reply]]
N = TypeVar("N")
# How often the admins hear of messages set aside for the same kind of failure, at most.
DEAD_LETTER_ALERT_EVERY = timedelta(hours=1)
DEAD_LETTER_ALERT = "inbox.dead_alert"


async def notify_members(
    *,
    session: AsyncSession,
    member_ids: Collection[int],
    texts: Texts,
    compose: Compose,
    now: datetime,
    channels: Collection[Channel],
    tag: str,
) -> int:
    """Queue a message to each member, in their language, on one account each; how many queued.

    `compose` writes the message with a translator in the member's language; `tag` makes the
    idempotency keys (`<tag>:m<member id>`), so notifying twice for the same reason sends once.
    """
    resolution = await resolve_members(session=session, member_ids=member_ids, channels=channels)
    drafts = [
        Draft(
            channel=recipient.channel,
            recipients=[recipient.external_id],
            payload=reply_payload(compose(texts.bind(recipient.language)), {}),
            idempotency_key=f"{tag}:m{recipient.member_id}",
            identity_id=recipient.identity_id,
        )
        for recipient in resolution.recipients
    ]
    return await enqueue_many(session=session, drafts=drafts, now=now)


@dataclass(frozen=True, kw_only=True)
class Outreach(Generic[N]):
    """Where a feature's notices go: the channels that push, the texts, and the feature's own
    writer of notices (`N`, a protocol its service declares and its chat views implement).

    Each feature's service subclasses it with its writer; chat, the CLI and the scheduler build
    one, and the service `tell`s through it, so no use case knows a channel.
    """

    texts: Texts
    channels: Collection[Channel]
    notices: N

    @classmethod
    def pushing(cls, services: Services, notices: N) -> Self:
        """Notices written by `notices`, on every channel this deployment pushes on."""
        return cls(
            texts=services.texts, channels=push_channels(services.settings), notices=notices
        )

    async def tell(
        self,
        *,
        session: AsyncSession,
        member_ids: Collection[int],
        compose: Compose,
        now: datetime,
        tag: str,
    ) -> int:
        """Queue `compose` to each of `member_ids` in their language, once per `tag`."""
        return await notify_members(
            session=session,
            member_ids=member_ids,
            texts=self.texts,
            compose=compose,
            now=now,
            channels=self.channels,
            tag=tag,
        )


async def notify_chats(
    *,
    session: AsyncSession,
    chats: Collection[Chat],
    texts: Texts,
    compose: Compose,
    now: datetime,
    channels: Collection[Channel],
    tag: str,
) -> int:
    """Queue a message to each group chat (a city team's), in Thai; how many queued.

    A group has many readers and no one language: the programme's, Thai. `tag` makes the
    idempotency keys (`<tag>:c<chat id>`), as for members.
    """
    replies = reply_payload(compose(texts.bind(Language.TH)), {})
    drafts = [
        Draft(
            channel=chat.channel,
            recipients=[chat.external_id],
            payload=replies,
            idempotency_key=f"{tag}:c{chat.id}",
        )
        for chat in chats
        if chat.active and chat.channel in channels
    ]
    return await enqueue_many(session=session, drafts=drafts, now=now)


async def alert_admins(
    *,
    session: AsyncSession,
    texts: Texts,
    paused: Channel,
    reason: str,
    channels: Collection[Channel],
    now: datetime,
) -> int:
    """Tell depa's admins, on the channels still working, that `paused` stopped sending.

    Once a day per channel at most: the tag carries the date, so a pause that lasts is not news
    every hour it is checked again.
    """
    others = [channel for channel in channels if channel is not paused]
    admins = await approver_ids(session=session, author_member_id=None)
    return await notify_members(
        session=session,
        member_ids=admins,
        texts=texts,
        compose=lambda t: [
            Text(
                text=t(
                    "delivery.channel_paused",
                    channel=t(f"channels.{paused.value}"),
                    reason=reason[:200],
                )
            )
        ],
        now=now,
        channels=others,
        tag=f"paused:{paused.value}:{now.date().isoformat()}",
    )


async def alert_dead_letter(
    *,
    session: AsyncSession,
    texts: Texts,
    kind: str,
    reason: str,
    channels: Collection[Channel],
    now: datetime,
) -> int:
    """Tell depa's admins an incoming message was set aside after its last try failed; how many.

    Once an hour per `kind` of failure at most, so that a bug that hits everyone is one message
    an hour, not one per person: each alert is audited, and one in the past hour holds the next.
    """
    target = kind[:120]
    recent, _ = await audit.count_since(
        session=session,
        action=DEAD_LETTER_ALERT,
        target=target,
        since=now - DEAD_LETTER_ALERT_EVERY,
    )
    if recent:
        return 0
    await audit.record(
        session=session,
        action=DEAD_LETTER_ALERT,
        now=now,
        target=target,
        details={"reason": reason[:500]},
    )
    return await notify_members(
        session=session,
        member_ids=await approver_ids(session=session, author_member_id=None),
        texts=texts,
        compose=lambda t: [Text(text=t("delivery.inbox_dead", reason=reason[:200]))],
        now=now,
        channels=channels,
        # Two processes (or two chats of one) can find no recent alert at the same moment: the
        # hour in the key lets the outbox keep only one of their messages to each admin.
        tag=f"inbox-dead:{sha256(target.encode()).hexdigest()[:16]}:{now:%Y%m%d%H}",
    )
