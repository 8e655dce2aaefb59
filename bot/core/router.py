"""Routes from events to handlers: commands, keywords, choices, flow steps, events, fallbacks.

One router per feature module; `handlers.ROUTERS` lists them in order, so precedence is visible
in one place. Each route declares who may use it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, TypeVar

from bot.core.authz import ANYONE, MEMBERS, Access
from bot.core.context import ChatContext, Context, Services
from bot.core.events import ChoiceSelected, Event, TextReceived
from bot.core.payloads import Command, Payload, parse_payload
from bot.core.replies import Reply

E = TypeVar("E", bound=Event)
P = TypeVar("P", bound=Payload)
Handler = Callable[[Any, Context], Awaitable[list[Reply]]]
H = TypeVar("H", bound=Handler)
# A choice handler gets the button's parsed payload instead of the event.
ChoiceHandler = Callable[[P, Context], Awaitable[list[Reply]]]
# A handler that needs only the chat; it is a Handler too, since a Context is a ChatContext.
ChatHandler = Callable[[Any, ChatContext], Awaitable[list[Reply]]]
CH = TypeVar("CH", bound=ChatHandler)


class RouteKind(Enum):
    """How a route matches; the dispatcher tries kinds in this order."""

    COMMAND = 1
    CHOICE = 2
    STEP = 3
    TEXT = 4
    EVENT = 5
    FALLBACK = 6


@dataclass(frozen=True, slots=True)
class Route:
    """One way into a handler."""

    kind: RouteKind
    handler: Handler
    access: Access
    names: frozenset[str] = frozenset()  # command names, or step values (steps, events)
    sub: str | None = None  # a command's sub-command: `/announce status` is ("announce", "status")
    payload_type: type[Payload] | None = None  # what a choice route takes
    event_type: type[Event] | None = None
    predicate: Callable[[str], bool] | None = None
    in_groups: bool = True
    chat_handler: ChatHandler | None = None  # `handler` again, typed to run without a sender


@dataclass(frozen=True, slots=True)
class Match:
    """The route found for an event, with what followed the command, or the button's payload."""

    route: Route
    args: str
    payload: Payload | None = None


def parse_command(text: str) -> tuple[str, str] | None:
    """`/materials@citybot energy` → ("materials", "energy"); None for non-commands."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, rest = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].casefold()
    return (name, rest.strip()) if name else None


def match_keyword(text: str, keywords: frozenset[str], *, exact_only: bool) -> str | None:
    """The arguments after a keyword that starts `text`, or None.

    Inside a flow only an exact keyword interrupts, so a free-text answer that merely begins
    with a keyword is not mistaken for a command.
    """
    folded = " ".join(text.casefold().split())
    for keyword in keywords:
        if folded == keyword:
            return ""
        if not exact_only and folded.startswith(keyword + " "):
            return text.strip()[len(keyword) :].strip()
    return None


# Loads what a router's handlers need the first time.
WarmUp = Callable[[Services], Awaitable[None]]


class Router:
    """A feature's routes, registered with decorators."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[Route] = []
        # Flows a command leaves, with the text that says what was lost (see `abandons`).
        self.abandonable: dict[str, str] = {}
        # What its text routes load on first use (see `warms`).
        self.warm_ups: list[WarmUp] = []

    def warms(self, warm_up: WarmUp) -> WarmUp:
        """Register what this router's text handlers load the first time (a dictionary, a
        model), to be loaded before a batch of text is handled: not inside its transaction,
        whose write lock (SQLite's only one) the webhooks wait for meanwhile."""
        self.warm_ups.append(warm_up)
        return warm_up

    def abandons(self, flow: str, notice_key: str) -> None:
        """Any command typed or pressed amid `flow` ends it, `notice_key` saying so first.

        For flows whose half-made work is better dropped than resumed by surprise: the command
        (another feature's, or the flow's own restarted) is answered as usual after the notice.
        """
        self.abandonable[flow] = notice_key

    def _add(self, route: Route) -> None:
        self.routes.append(route)

    def command(
        self, *names: str, sub: str | None = None, access: Access = MEMBERS
    ) -> Callable[[H], H]:
        """`/name args`, a `Command` button, or a keyword from `commands.<name>.keywords`.

        With `sub`, the route takes `/name sub args` only, with its own access: a sub-command
        is a route of its own, never a branch inside the command's handler.
        """

        def register(handler: H) -> H:
            self._add(
                Route(
                    RouteKind.COMMAND,
                    handler,
                    access,
                    names=frozenset(n.casefold() for n in names),
                    sub=sub.casefold() if sub else None,
                )
            )
            return handler

        return register

    def choice(
        self, payload_type: type[P], *, access: Access = MEMBERS
    ) -> Callable[[ChoiceHandler[P]], ChoiceHandler[P]]:
        """A pressed button whose payload is a `payload_type`; the handler gets it parsed."""

        def register(handler: ChoiceHandler[P]) -> ChoiceHandler[P]:
            self._add(Route(RouteKind.CHOICE, handler, access, payload_type=payload_type))
            return handler

        return register

    def step(self, *steps: StrEnum, access: Access = MEMBERS) -> Callable[[H], H]:
        """Text typed while the sender is at one of `steps` of a flow."""

        def register(handler: H) -> H:
            values = frozenset(step.value for step in steps)
            self._add(Route(RouteKind.STEP, handler, access, names=values))
            return handler

        return register

    def text(
        self,
        predicate: Callable[[str], bool],
        *,
        access: Access = MEMBERS,
        in_groups: bool = False,
    ) -> Callable[[H], H]:
        """Free text for which `predicate` holds (for example, something shaped like a code)."""

        def register(handler: H) -> H:
            self._add(
                Route(RouteKind.TEXT, handler, access, predicate=predicate, in_groups=in_groups)
            )
            return handler

        return register

    def event(
        self, event_type: type[Event], *, access: Access = MEMBERS, steps: Sequence[StrEnum] = ()
    ) -> Callable[[H], H]:
        """Any event of `event_type` (follow, join, sticker, file…).

        With `steps`, only one that comes while the sender is at one of them: a photo sent as a
        flow's answer goes to the flow, any other to whoever takes photos in general.
        """

        def register(handler: H) -> H:
            values = frozenset(step.value for step in steps)
            self._add(Route(RouteKind.EVENT, handler, access, names=values, event_type=event_type))
            return handler

        return register

    def chat_event(self, event_type: type[Event]) -> Callable[[CH], CH]:
        """An event about a chat itself (the bot added or removed), with or without a sender.

        Open to anyone: without a sender there is nobody to authorise.
        """

        def register(handler: CH) -> CH:
            self._add(
                Route(
                    RouteKind.EVENT,
                    handler,
                    ANYONE,
                    event_type=event_type,
                    chat_handler=handler,
                )
            )
            return handler

        return register

    def fallback(self, *, access: Access = MEMBERS, in_groups: bool = False) -> Callable[[H], H]:
        """What answers when nothing else does."""

        def register(handler: H) -> H:
            self._add(Route(RouteKind.FALLBACK, handler, access, in_groups=in_groups))
            return handler

        return register


def _command(
    routes: Sequence[Route], name: str, args: str, allowed: Callable[[Access], bool]
) -> Match | None:
    """The route of `/name args`: a sub-command's own route first, then the command's.

    Several routes may share a command, each for other people (an executive's `/invite` and
    depa's): the first the sender may use wins, else the first, whose refusal they then hear.
    """
    head, _, rest = args.partition(" ")
    sub = head.casefold()
    for wanted, remaining in ((sub, rest.strip()), (None, args)):
        if wanted == "":
            continue
        found = [
            r
            for r in routes
            if r.kind is RouteKind.COMMAND and name in r.names and r.sub == wanted
        ]
        if found:
            chosen = next((r for r in found if allowed(r.access)), found[0])
            return Match(chosen, remaining)
    return None


def find_command(
    routers: Sequence[Router], name: str, args: str, allowed: Callable[[Access], bool]
) -> Match | None:
    """The route `/name args` takes for a sender `allowed` to use some routes (see `_command`)."""
    return _command([route for router in routers for route in router.routes], name, args, allowed)


def find_route(
    routers: Sequence[Router],
    event: Event,
    *,
    step: str | None,
    in_group: bool,
    keywords: Mapping[str, frozenset[str]],
    allowed: Callable[[Access], bool] = lambda _access: True,
) -> Match | None:
    """The first route, by kind precedence then router order, that takes `event`.

    `keywords` maps a command name to the words (from content/, every language) that invoke it;
    `allowed` says whether the sender may use a route (it picks among a command's routes).
    """
    routes = [route for router in routers for route in router.routes]
    if in_group:
        routes = [route for route in routes if route.in_groups]

    def first(kind: RouteKind, test: Callable[[Route], str | None]) -> Match | None:
        for route in routes:
            if route.kind is kind and (args := test(route)) is not None:
                return Match(route, args)
        return None

    def fallback(args: str) -> Match | None:
        return first(RouteKind.FALLBACK, lambda _r: args)

    if isinstance(event, TextReceived):
        command = parse_command(event.text)
        if command is not None:
            return _command(routes, *command, allowed) or fallback(event.text)
        # Only a flow that awaits typed text makes keywords exact: after a list was shown
        # (a step nobody's text answers), `เอกสาร energy` is still a search.
        awaiting = step is not None and any(
            route.kind is RouteKind.STEP and step in route.names for route in routes
        )
        for name, words in keywords.items():
            args = match_keyword(event.text, words, exact_only=awaiting)
            if args is None or (found := _command(routes, name, args, allowed)) is None:
                continue
            # Amid a flow, a word that names a command the sender may not use is their answer
            # (a note that says "ล่าช้า"), not a command to refuse.
            if not awaiting or allowed(found.route.access):
                return found
        if step is not None:
            found = first(RouteKind.STEP, lambda r: event.text if step in r.names else None)
            if found is not None:
                return found
        text = event.text.strip()
        found = first(
            RouteKind.TEXT,
            lambda r: text if r.predicate is not None and r.predicate(text) else None,
        )
        return found or fallback(event.text)
    if isinstance(event, ChoiceSelected):
        payload = parse_payload(event.payload)
        if isinstance(payload, Command):
            return _command(routes, payload.name.casefold(), payload.args, allowed)
        for route in routes:
            if route.kind is RouteKind.CHOICE and type(payload) is route.payload_type:
                return Match(route, "", payload)
        return fallback("")

    def takes(route: Route) -> bool:
        if route.event_type is None or not isinstance(event, route.event_type):
            return False
        return not route.names or step in route.names

    return first(RouteKind.EVENT, lambda r: "" if takes(r) else None)


def find_chat_route(routers: Sequence[Router], event: Event) -> ChatHandler | None:
    """The first handler, in router order, that answers `event` knowing only its chat."""
    for route in (route for router in routers for route in router.routes):
        if (
            route.chat_handler is not None
            and route.event_type is not None
            and isinstance(event, route.event_type)
        ):
            return route.chat_handler
    return None
