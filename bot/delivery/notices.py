"""Notices: a message queued to chosen members, each in their language, on one account each."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.inbox import reply_payload
from bot.core.replies import Reply, Text
from bot.core.texts import Texts, Translator
from db.enums import Channel
from db.repositories.announcements import approver_ids
from db.repositories.audiences import resolve_members
from db.repositories.outbox import Draft, enqueue_many

# A message to write in each recipient's language: a translator in, replies out.
Compose = Callable[[Translator], list[Reply]]


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
