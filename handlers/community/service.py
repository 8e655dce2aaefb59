"""The "big data on community needs": topics of members' questions (tickets) and free-text
messages, by domain (the NLU's domain slot, whatever the intent) and month (the display zone),
with each domain's frequent words (PyThaiNLP, stop words dropped).

Only counts and words leave here, never a text: a word is shown only when several texts use
it, so no single message can be read back from the words. Messages are the stored inbox
events that the channels read as `TextReceived` from a registered, not erased member in a 1:1
chat, commands left out, and a message that became a ticket counted once (as the question).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.events import Event, TextReceived
from bot.core.nlu import tokens, warm_up
from bot.nlu.understanding import Understander
from db.enums import Channel, ChatKind, MemberStatus
from db.models import Domain, Identity, InboundEvent, Member, Ticket
from db.repositories.organisations import list_domains

# How a channel reads one stored inbox payload (its adapter's `event_from`).
EventReader = Callable[[Mapping[str, Any]], Event | None]
KEYWORDS = 8  # words shown per domain
MIN_TEXTS = 2  # a word is shown only when at least this many texts use it


@dataclass(frozen=True, slots=True)
class Said:
    """One text to count: where it came from, and when."""

    text: str
    at: datetime
    question: bool


@dataclass(slots=True)
class Needs:
    """Counts by domain × month, by domain and source, frequent words, and the rest."""

    domains: list[Domain]
    months: list[str] = field(default_factory=list)  # "YYYY-MM", oldest first
    cells: Counter[tuple[str, str]] = field(default_factory=Counter)  # (domain, month)
    questions: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    keywords: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    unclassified: int = 0

    @property
    def busiest(self) -> int:
        """The largest cell, for shading."""
        return max(self.cells.values(), default=0)

    def total(self, domain: str) -> int:
        """Texts about `domain` in all."""
        return self.questions[domain] + self.messages[domain]


async def _questions(session: AsyncSession, since: datetime) -> list[tuple[int | None, Said]]:
    found = await session.execute(
        select(Ticket.member_id, Ticket.question, Ticket.asked_at).where(
            Ticket.asked_at >= since, Ticket.question != ""
        )
    )
    return [(member, Said(text, at, question=True)) for member, text, at in found]


async def _messages(
    session: AsyncSession, readers: Mapping[Channel, EventReader], since: datetime
) -> list[tuple[int, Said]]:
    """Free text from registered members' 1:1 chats, as the channels read their payloads."""
    members = {
        (channel, external_id): member_id
        for channel, external_id, member_id in (
            await session.execute(
                select(Identity.channel, Identity.external_id, Identity.member_id)
                .join(Member, Member.id == Identity.member_id)
                .where(Member.status == MemberStatus.ACTIVE)
            )
        )
    }
    rows = await session.execute(
        select(InboundEvent.channel, InboundEvent.payload).where(
            InboundEvent.channel.in_(list(readers)), InboundEvent.received_at >= since
        )
    )
    said: list[tuple[int, Said]] = []
    for channel, payload in rows:
        try:
            event = readers[channel](payload)
        except (ValueError, KeyError, TypeError):  # unreadable or taken back (redacted)
            continue
        if (
            not isinstance(event, TextReceived)
            or event.user is None
            or event.chat.kind is not ChatKind.USER
            or event.text.lstrip().startswith("/")
        ):
            continue
        member = members.get((event.channel, event.user.external_id))
        if member is not None:
            said.append((member, Said(event.text.strip(), event.occurred_at, question=False)))
    return said


def _count(needs: Needs, texts: list[Said], understander: Understander, zone: ZoneInfo) -> None:
    """Classify and count (CPU work: run in a thread)."""
    words: defaultdict[str, Counter[str]] = defaultdict(Counter)
    months: set[str] = set()
    for said in texts:
        domain = understander.domain(said.text)
        if domain is None:
            needs.unclassified += 1
            continue
        month = said.at.astimezone(zone).strftime("%Y-%m")
        months.add(month)
        needs.cells[(domain, month)] += 1
        (needs.questions if said.question else needs.messages)[domain] += 1
        # Each text counts a word once: the words say how many texts, not who repeats himself.
        words[domain].update({w for w in tokens(said.text) if len(w) > 1 and not w.isdigit()})
    needs.months = sorted(months)
    needs.keywords = {
        domain: [(w, n) for w, n in counted.most_common(KEYWORDS) if n >= MIN_TEXTS]
        for domain, counted in words.items()
    }


async def community_needs(
    *,
    session: AsyncSession,
    understander: Understander,
    readers: Mapping[Channel, EventReader],
    zone: ZoneInfo,
    since: datetime,
) -> Needs:
    """What members asked and wrote about since `since`, counted (no text comes back)."""
    questions = await _questions(session, since)
    asked = {(member, said.text.strip()) for member, said in questions}
    messages = [
        said
        for member, said in await _messages(session, readers, since)
        if (member, said.text) not in asked
    ]
    needs = Needs(domains=await list_domains(session=session))
    await warm_up()
    texts = [said for _, said in questions] + messages
    await asyncio.to_thread(_count, needs, texts, understander, zone)
    return needs
