"""The one path every event takes: identity → chat → member → state → route → authz → handler.

One database session and transaction per event; a handler's failure rolls it back, and the inbox
decides (through `DispatchHooks.failed`) whether to try again or apologise, in the person's
language, never with a stack trace. What the event carries is checked before use: its ids must
be storable, and names and language hints that are not text are ignored. Events about a group
that name nobody (LINE's join, leave and member changes) take a shorter path: chat → route →
handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.accounts import CHAT_EVENTS, Known, known_for, platform_language
from bot.core.context import ChatContext, Context, Services
from bot.core.events import (
    ChatMoved,
    Event,
    TextReceived,
    Unfollowed,
)
from bot.core.replies import Reply, Text
from bot.core.router import RouteKind, Router, find_chat_route, find_command, find_route
from bot.core.state import StateStore
from bot.core.texts import Texts
from db.enums import Language, MemberStatus
from db.models import Chat, ConversationState, Identity, Member
from db.repositories import audit
from db.repositories.conversations import load_state
from db.repositories.identities import (
    ensure_chat,
    ensure_identity,
    move_chat,
    seen,
)
from db.repositories.outbox import readdress

log = logging.getLogger(__name__)

# A batch gives the event loop back at least every this many events (see `handle_batch`).
YIELD_EVERY = 8
# The column sizes of what is stored from an event (db/models/people.py).
ID_LIMIT = 128
NAME_LIMIT = 200


class InvalidEvent(ValueError):
    """An event whose ids cannot be stored: trying again will not make it readable."""


def _name(value: object) -> str | None:
    """`value` as a name fit to store: text, trimmed and cut to size; anything else is none."""
    return value.strip()[:NAME_LIMIT] or None if isinstance(value, str) else None


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > ID_LIMIT:
        raise InvalidEvent(f"{what} is not an id we can store: {value!r:.80}")
    return value


def checked(event: Event) -> Event:
    """`event` fit for the dispatcher, or InvalidEvent when an id it names cannot be stored.

    Parsers build events from what the platforms (or anyone who can sign a body) sent; the
    dispatcher stores ids, names and language hints, so it checks them itself rather than trust
    every parser to. Names and hints of the wrong type are dropped, not fatal.
    """
    user = event.user
    if user is not None:
        user = replace(
            user,
            external_id=_identifier(user.external_id, "the sender's id"),
            display_name=_name(user.display_name),
            language=user.language if isinstance(user.language, str) else None,
        )
    chat = replace(
        event.chat,
        external_id=_identifier(event.chat.external_id, "the chat's id"),
        title=_name(event.chat.title),
    )
    if isinstance(event, ChatMoved):
        return replace(
            event, user=user, chat=chat, moved_from=_identifier(event.moved_from, "the old id")
        )
    return replace(event, user=user, chat=chat)


def language_for(identity: Identity, member: Member | None) -> Language:
    """A member's chosen language, else the platform's hint, else Thai."""
    if member is not None:
        return member.language
    return identity.language or Language.TH


def command_keywords(texts: Texts, routers: Sequence[Router]) -> dict[str, frozenset[str]]:
    """Each command's keywords, from `commands.<name>.keywords` in every language."""
    keywords: dict[str, frozenset[str]] = {}
    for route in (route for router in routers for route in router.routes):
        if route.kind is not RouteKind.COMMAND:
            continue
        for name in route.names:
            key = f"commands.{name}.keywords"
            if not texts.has(key):
                continue
            words = {
                " ".join(word.casefold().split())
                for language in Language
                for word in texts.get(language, key).split(",")
            }
            keywords[name] = frozenset(word for word in words if word)
    return keywords


class DispatchHooks(Protocol):
    """What the inbox path adds around handling, inside the handler's transaction."""

    async def claim(self, session: AsyncSession) -> bool:
        """Take the stored event for handling; False when it was handled already."""

    async def deliver(self, session: AsyncSession, event: Event, replies: list[Reply]) -> None:
        """Queue the replies for sending."""

    async def failed(self, session: AsyncSession, event: Event | None, error: Exception) -> bool:
        """Record the failure in a fresh transaction; True when it queued the apology.

        `event` is None when the event named ids that cannot be stored (nobody to answer).
        """


class BatchHooks(Protocol):
    """What the inbox adds around handling a batch of events in one transaction."""

    async def begin(self, session: AsyncSession) -> None:
        """Take the stored events for handling: the transaction's first statement (a write)."""

    def holds(self, index: int) -> bool:
        """Whether event `index` is still ours to handle (after `begin`)."""

    def handled(self, index: int, event: Event, replies: list[Reply]) -> None:
        """Event `index` was handled (its savepoint released): keep its replies for `finish`."""

    async def failed(
        self, session: AsyncSession, index: int, event: Event | None, error: Exception
    ) -> None:
        """Event `index` failed (its savepoint rolled back): record it in the transaction."""

    async def finish(self, session: AsyncSession) -> None:
        """Settle the handled events and queue their replies, just before the commit."""


class Dispatcher:
    """Turns events into replies through the routers, one transaction per event."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        routers: Sequence[Router],
        services: Services,
    ) -> None:
        self._sessions = sessions
        self._routers = tuple(routers)
        self.services = services
        self._keywords = command_keywords(services.texts, self._routers)
        self._warm = False  # the routers' warm-ups have run
        self._abandoned_by_commands = {
            flow: key for router in self._routers for flow, key in router.abandonable.items()
        }

    def apology(self, event: Event) -> list[Reply]:
        """What a person reads when their message cannot be handled: sorry, in their language."""
        hint = event.user.language if event.user is not None else None
        language = platform_language(hint) or Language.TH
        return [Text(text=self.services.texts.get(language, "errors.internal"))]

    async def handle(self, event: Event, *, hooks: DispatchHooks | None = None) -> list[Reply]:
        """The replies to `event`; an unexpected error becomes an apology, or with `hooks` the
        inbox's decision (try again later, or apologise once it has run out of tries).

        With `hooks` (the inbox path), claiming the stored event, the handler's changes and the
        queued replies commit in one transaction: an event is handled once, and its replies
        are never lost between handling and sending.
        """
        checked_event: Event | None = None  # None: its ids are unusable, nobody to answer
        try:
            checked_event = checked(event)
            async with self._sessions() as session, session.begin():
                if hooks is not None and not await hooks.claim(session):
                    return []  # already handled: a redelivery or a second worker
                replies = await self._dispatch(session, checked_event)
                if hooks is not None:
                    await hooks.deliver(session, checked_event, replies)
                return replies
        except Exception as error:
            log.exception(
                "handling %s from %s failed", type(event).__name__, event.chat.channel.value
            )
            if hooks is not None:
                async with self._sessions() as session, session.begin():
                    if not await hooks.failed(session, checked_event, error):
                        return []
            return self.apology(checked_event) if checked_event is not None else []

    async def prepare(self, events: Sequence[Event]) -> None:
        """Load what text handlers load the first time (`Router.warms`), before the batch."""
        if self._warm or not any(
            isinstance(event, TextReceived) and not event.text.startswith("/") for event in events
        ):
            return  # a typed command goes straight to its handler
        for router in self._routers:
            for warm_up in router.warm_ups:
                await warm_up(self.services)
        self._warm = True

    async def handle_batch(self, events: Sequence[Event], hooks: BatchHooks) -> None:
        """Handle `events` in order in one transaction, each in a savepoint of its own.

        One commit for the batch, and the accounts, chats and members it needs read together;
        a failing event rolls back only its savepoint and is recorded through `hooks`, the
        others go on. An error outside any one event (the database gone, the commit refused)
        propagates with nothing committed: the caller then handles the events one by one.
        """
        async with self._sessions() as session, session.begin():
            await hooks.begin(session)
            ready: list[tuple[int, Event]] = []
            for index, event in enumerate(events):
                if not hooks.holds(index):
                    continue
                try:
                    ready.append((index, checked(event)))
                except InvalidEvent as error:
                    log.warning("handling %s failed: %s", type(event).__name__, error)
                    await hooks.failed(session, index, None, error)
            known = await known_for(
                session, [event for _, event in ready], self.services.clock.now()
            )
            for position, (index, event) in enumerate(ready, start=1):
                if position % YIELD_EVERY == 0:
                    # Events that need no query never give the event loop back: let the
                    # webhooks waiting on it be acknowledged meanwhile.
                    await asyncio.sleep(0)
                try:
                    async with session.begin_nested():
                        replies = await self._dispatch(session, event, known)
                except Exception as error:
                    log.exception(
                        "handling %s from %s failed", type(event).__name__, event.channel.value
                    )
                    known.forget()
                    await hooks.failed(session, index, event, error)
                    continue
                hooks.handled(index, event, replies)
            await hooks.finish(session)

    async def _dispatch(
        self, session: AsyncSession, event: Event, known: Known | None = None
    ) -> list[Reply]:
        now = self.services.clock.now()
        known = known or Known()
        if isinstance(event, ChatMoved):
            await self._follow_move(session, event, now)
            known.forget()  # a chat changed its id
            return []  # bookkeeping, whoever (even an anonymous admin) caused it
        if event.user is None:
            if isinstance(event, CHAT_EVENTS):
                return await self._chat_event(session, event, now, known)
            return []  # nothing to answer to (a reaction, the bot's account suspended…)
        identity = known.identities.get((event.channel, event.user.external_id))
        if identity is None:
            identity, _ = await ensure_identity(
                session=session,
                channel=event.channel,
                external_id=event.user.external_id,
                language=platform_language(event.user.language),
                now=now,
            )
        if isinstance(event, Unfollowed):
            identity.blocked = True
        elif identity.blocked:
            identity.blocked = False  # any event but unfollow means the account is reachable
        chat = await self._chat(session, event, now, known)
        member = await self._member(session, identity, known)
        moved = member is not None and member.last_channel != event.channel
        if member is not None and (moved or seen(member.last_seen_at, now)):
            member.last_channel, member.last_seen_at = event.channel, now
        if identity.id in known.states:
            state_row = known.states[identity.id]
        else:
            state_row = await load_state(session=session, identity_id=identity.id, now=now)
        match = find_route(
            self._routers,
            event,
            step=state_row.step if state_row is not None else None,
            in_group=event.chat.is_group,
            keywords=self._keywords,
            allowed=lambda access: access.allows(member),
        )
        if match is None:
            return []
        context = Context(
            session=session,
            services=self.services,
            identity=identity,
            member=member,
            chat=chat,
            state=StateStore(session=session, identity_id=identity.id, row=state_row, now=now),
            language=language_for(identity, member),
            now=now,
            args=match.args,
            sender_name=event.user.display_name,
        )
        context = replace(context, run_command=partial(self._run_command, event, context, member))
        try:
            notice = await self._abandon(context, state_row, match.route.kind)
            if not match.route.access.allows(member):
                key = "auth.register_first" if member is None else "auth.denied"
                return [*notice, Text(text=context.t(key))]
            # A choice handler takes the button's parsed payload; every other handler the event.
            subject = match.payload if match.payload is not None else event
            replies: list[Reply] = await match.route.handler(subject, context)
            return [*notice, *replies]
        finally:
            known.states[identity.id] = context.state.row  # what the next event of theirs sees

    async def _run_command(
        self, event: Event, context: Context, member: Member | None, name: str, args: str
    ) -> list[Reply]:
        """`/name args` answered for the sender, as typed; [] when there is no such command."""
        match = find_command(self._routers, name, args, lambda access: access.allows(member))
        if match is None:
            return []
        if not match.route.access.allows(member):
            key = "auth.register_first" if member is None else "auth.denied"
            return [Text(text=context.t(key))]
        typed = f"/{name} {args}".strip()
        subject = replace(event, text=typed) if isinstance(event, TextReceived) else event
        return await match.route.handler(subject, replace(context, args=match.args))

    async def _abandon(
        self, context: Context, state: ConversationState | None, kind: RouteKind
    ) -> list[Reply]:
        """Leave a flow that a command interrupts, where its router says so; the notice to send.

        The notice comes before the command's answer (`Router.abandons`), refused or not.
        """
        if kind is not RouteKind.COMMAND or state is None:
            return []
        key = self._abandoned_by_commands.get(state.flow)
        if key is None:
            return []
        await context.state.clear()
        return [Text(text=context.t(key))]

    async def _chat_event(
        self, session: AsyncSession, event: Event, now: datetime, known: Known
    ) -> list[Reply]:
        """A group event that names nobody: no identity is made up for it, the group answers.

        Thai, the programme's language: nothing stored about a group says otherwise.
        """
        chat = await self._chat(session, event, now, known)
        handler = find_chat_route(self._routers, event)
        if handler is None:
            return []
        context = ChatContext(
            session=session, services=self.services, chat=chat, language=Language.TH, now=now
        )
        return await handler(event, context)

    @staticmethod
    async def _chat(session: AsyncSession, event: Event, now: datetime, known: Known) -> Chat:
        chat = known.chats.get((event.channel, event.chat.external_id))
        if chat is not None:
            return chat
        return await ensure_chat(
            session=session,
            channel=event.channel,
            external_id=event.chat.external_id,
            kind=event.chat.kind,
            title=event.chat.title,
            now=now,
        )

    @staticmethod
    async def _follow_move(session: AsyncSession, event: ChatMoved, now: datetime) -> None:
        """The chat's row, its city and its queued messages go to the new id; audited once."""
        old, new = event.moved_from, event.chat.external_id
        chat = await move_chat(
            session=session,
            channel=event.channel,
            old_external_id=old,
            new_external_id=new,
            title=event.chat.title,
            now=now,
        )
        queued = await readdress(
            session=session, channel=event.channel, old_chat=old, new_chat=new
        )
        if chat is not None:  # None: the second notice of the same move, or a group never seen
            await audit.record(
                session=session,
                action="chat.move",
                now=now,
                target=f"chat:{chat.id}",
                details={"from": old, "to": new, "queued": queued},
            )

    @staticmethod
    async def _member(session: AsyncSession, identity: Identity, known: Known) -> Member | None:
        if identity.member_id is None:
            return None
        member = known.members.get(identity.member_id) or await session.get(
            Member, identity.member_id
        )
        return member if member is not None and member.status is MemberStatus.ACTIVE else None
