"""Notices: a message queued to chosen members, each in their language, on one account each."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.inbox import reply_payload
from bot.core.replies import Reply
from bot.core.texts import Texts, Translator
from db.enums import Channel
from db.repositories.audiences import resolve_members
from db.repositories.outbox import Draft, enqueue_many


async def notify_members(
    *,
    session: AsyncSession,
    member_ids: Collection[int],
    texts: Texts,
    compose: Callable[[Translator], list[Reply]],
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
