"""The console channel: chat with the bot in a terminal, one message per line (pipes work too).

Choices are numbered; typing a number picks one, so scripts can walk any flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dispatcher import Dispatcher
from bot.core.events import ChatRef, ChoiceSelected, Event, TextReceived, UserRef
from bot.core.replies import Button, Cards, Choices, Document, Link, Reply, Text
from db.enums import Channel, Language, MemberStatus, Role
from db.models import Member, Organisation
from db.repositories import audit
from db.repositories.accounts import register_member
from db.repositories.identities import ensure_identity


class ConsoleChannel:
    """One person's terminal conversation; remembers the last choices so numbers pick them."""

    channel = Channel.CONSOLE

    def __init__(
        self, dispatcher: Dispatcher, *, user_id: str, display_name: str | None = None
    ) -> None:
        self._dispatcher = dispatcher
        self.user = UserRef(channel=self.channel, external_id=user_id, display_name=display_name)
        self.chat = ChatRef(channel=self.channel, external_id=user_id)
        self._numbered: list[str] = []  # payloads of the last numbered options

    def event_for(self, line: str, now: datetime) -> Event:
        """A typed line as an event: a number picks a choice shown last, anything else is text."""
        stripped = line.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(self._numbered):
            payload = self._numbered[int(stripped) - 1]
            return ChoiceSelected(user=self.user, chat=self.chat, occurred_at=now, payload=payload)
        return TextReceived(user=self.user, chat=self.chat, occurred_at=now, text=line)

    def render(self, replies: Iterable[Reply]) -> str:
        """Replies as terminal text; choices and payload buttons get numbers."""
        self._numbered = []
        blocks = [self._render_one(reply) for reply in replies]
        return "\n\n".join(block for block in blocks if block)

    def _number(self, label: str, payload: str) -> str:
        self._numbered.append(payload)
        return f"  {len(self._numbered)}. {label}"

    def _button(self, button: Button) -> str:
        if button.payload is not None:
            return self._number(button.label, button.payload)
        return f"  [{button.label}] {button.url}"

    def _render_one(self, reply: Reply) -> str:
        match reply:
            case Text(text=text):
                return text
            case Choices(text=text, options=options):
                lines = [text, *(self._number(o.label, o.payload) for o in options)]
                return "\n".join(lines)
            case Cards(text=text, cards=cards):
                lines = [text]
                for index, card in enumerate(cards, start=1):
                    lines.append(f"[{index}] {card.title}")
                    if card.subtitle:
                        lines.append(f"    {card.subtitle}")
                    if card.link and not any(b.url == card.link for b in card.buttons):
                        lines.append(f"    {card.link}")
                    lines.extend("  " + self._button(b) for b in card.buttons)
                return "\n".join(lines)
            case Link(text=text, label=label, url=url):
                return f"{text}\n  [{label}] {url}"
            case Document(title=title, url=url, caption=caption):
                return "\n".join(part for part in (f"📄 {title}", caption, f"  {url}") if part)
        raise TypeError(f"the console cannot render {type(reply).__name__}")

    async def say(self, line: str) -> str:
        """Send one typed line through the dispatcher; the rendered answer."""
        event = self.event_for(line, self._dispatcher.services.clock.now())
        return self.render(await self._dispatcher.handle(event))


async def register_console_member(
    *,
    session: AsyncSession,
    external_id: str,
    organisation: Organisation,
    role: Role,
    now: datetime,
) -> Member:
    """`citybot console --as ORG:ROLE`: a registered member for this console account.

    Development only: it records consent as given, so the audit log says it was the console.
    """
    identity, _ = await ensure_identity(
        session=session, channel=Channel.CONSOLE, external_id=external_id, language=None, now=now
    )
    if identity.member_id is not None:
        existing = await session.get(Member, identity.member_id)
        if existing is not None and existing.status is MemberStatus.ACTIVE:
            return existing
    member = await register_member(
        session=session,
        identity=identity,
        organisation_id=organisation.id,
        role=role,
        display_name=external_id,
        language=Language.TH,
        now=now,
    )
    await audit.record(
        session=session,
        action="member.register",
        now=now,
        actor_member_id=member.id,
        target=f"organisation:{organisation.slug}",
        details={"role": role.value, "via": "console --as"},
    )
    return member
