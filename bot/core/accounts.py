"""Who events come from: a platform's language hint, and a batch's accounts read together.

The dispatcher looks up an event's account, chat and member; for a batch of events it reads
them all first, a statement or two per kind, and keeps them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.events import ChatMoved, Event, JoinedGroup, LeftGroup, MembersChanged
from db.enums import Channel, ChatKind, Language
from db.models import Chat, ConversationState, Identity, Member
from db.repositories.conversations import load_states
from db.repositories.identities import ensure_chats, ensure_identities, load_members

# Events about a group itself: answered even without a sender, in the group.
CHAT_EVENTS = (JoinedGroup, LeftGroup, MembersChanged)


def platform_language(hint: object) -> Language | None:
    """Our language for a platform's hint such as `en-US` or `th`; None when we have no match.

    Total: a hint that is not text (a boolean in a malformed update) is no hint.
    """
    if not isinstance(hint, str) or not hint:
        return None
    primary = hint.replace("_", "-").split("-", 1)[0].casefold()
    return Language(primary) if primary in {lang.value for lang in Language} else None


@dataclass
class Known:
    """The accounts and chats of a batch of events, read in a few statements up front."""

    identities: dict[tuple[Channel, str], Identity] = field(default_factory=dict)
    chats: dict[tuple[Channel, str], Chat] = field(default_factory=dict)
    # Held here too: the session keeps loaded rows only while someone refers to them.
    members: dict[int, Member] = field(default_factory=dict)
    states: dict[int, ConversationState | None] = field(default_factory=dict)

    def forget(self) -> None:
        """After a rolled-back event, whose changes SQLAlchemy expired: query afresh instead."""
        self.identities.clear()
        self.chats.clear()
        self.members.clear()
        self.states.clear()


async def known_for(session: AsyncSession, events: Sequence[Event], now: datetime) -> Known:
    """The batch's accounts, chats, members and flow steps, each read in a statement or two."""
    known = Known()
    accounts: dict[Channel, dict[str, Language | None]] = {}
    chats: dict[Channel, dict[str, tuple[ChatKind, str | None]]] = {}
    for event in events:
        if isinstance(event, ChatMoved) or (
            event.user is None and not isinstance(event, CHAT_EVENTS)
        ):
            continue  # no chat of theirs is looked up (see `_dispatch`)
        if event.user is not None:
            accounts.setdefault(event.channel, {}).setdefault(
                event.user.external_id, platform_language(event.user.language)
            )
        chats.setdefault(event.channel, {})[event.chat.external_id] = (
            event.chat.kind,
            event.chat.title,
        )
    for channel, wanted in accounts.items():
        found = await ensure_identities(session=session, channel=channel, accounts=wanted, now=now)
        known.identities |= {(channel, key): row for key, row in found.items()}
    for channel, wanted_chats in chats.items():
        found_chats = await ensure_chats(
            session=session, channel=channel, chats=wanted_chats, now=now
        )
        known.chats |= {(channel, key): row for key, row in found_chats.items()}
    known.members = await load_members(
        session=session,
        member_ids=(i.member_id for i in known.identities.values() if i.member_id is not None),
    )
    known.states = await load_states(
        session=session,
        identity_ids=[identity.id for identity in known.identities.values()],
        now=now,
    )
    return known
