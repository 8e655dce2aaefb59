"""Routing precedence: commands, keywords, choices, steps, text, events, fallback."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import pytest

from bot.core.authz import ADMINS, ANYONE, MEMBERS
from bot.core.context import ChatContext, Context
from bot.core.events import (
    ChatRef,
    ChoiceSelected,
    Event,
    JoinedGroup,
    LeftGroup,
    StickerReceived,
    TextReceived,
)
from bot.core.payloads import Payload
from bot.core.replies import Choice, Choices, Reply, ReplyError
from bot.core.router import Router, find_chat_route, find_route, match_keyword, parse_command
from db.enums import Channel, ChatKind, Language, MemberStatus, Role
from db.models import Member


class Step(StrEnum):
    """A test flow."""

    ASK = "demo.ask"


class Pick(Payload, prefix="test:pick"):
    """A test button."""

    language: Language


router = Router("test")


async def _handler(_event: Event, _ctx: Context) -> list[Reply]:
    return []


async def _pick(_pick: Pick, _ctx: Context) -> list[Reply]:
    return []


router.command("help", access=ANYONE)(_handler)
router.choice(Pick, access=ANYONE)(_pick)
router.step(Step.ASK, access=ANYONE)(_handler)
router.text(str.isdigit, access=ANYONE)(_handler)
router.event(StickerReceived, access=ANYONE)(_handler)
router.fallback(access=ANYONE)(_handler)
KEYWORDS = {"help": frozenset({"ช่วยเหลือ", "help"})}
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CHAT = ChatRef(channel=Channel.CONSOLE, external_id="c")


def _text(text: str) -> TextReceived:
    return TextReceived(user=None, chat=CHAT, occurred_at=NOW, text=text)


def _kind(event: Event, step: str | None = None, group: bool = False) -> str | None:
    match = find_route([router], event, step=step, in_group=group, keywords=KEYWORDS)
    if match is None:
        return None
    if match.payload is not None:
        return f"{match.route.kind.name}:{match.payload!r}"
    return f"{match.route.kind.name}:{match.args}"


def test_parse_command_strips_bot_name_and_keeps_arguments() -> None:
    """`/Materials@citybot  energy plan` → name and arguments."""
    assert parse_command("/Materials@citybot  energy plan") == ("materials", "energy plan")
    assert parse_command("/") is None
    assert parse_command("hello") is None


def test_keyword_prefix_only_outside_flows() -> None:
    """A keyword followed by words is a command, except inside a flow where only exact counts."""
    assert match_keyword("ช่วยเหลือ  ด่วน", frozenset({"ช่วยเหลือ"}), exact_only=False) == "ด่วน"
    assert match_keyword("ช่วยเหลือ ด่วน", frozenset({"ช่วยเหลือ"}), exact_only=True) is None
    assert match_keyword(" HELP ", frozenset({"help"}), exact_only=True) == ""


@pytest.mark.parametrize(
    ("event", "step", "expected"),
    [
        (_text("/help me"), None, "COMMAND:me"),
        (_text("/help"), Step.ASK.value, "COMMAND:"),
        (_text("ช่วยเหลือ"), Step.ASK.value, "COMMAND:"),
        (_text("ช่วยเหลือ ทีหลัง"), Step.ASK.value, "STEP:ช่วยเหลือ ทีหลัง"),
        (_text("ช่วยเหลือ ทีหลัง"), None, "COMMAND:ทีหลัง"),
        (_text("12345"), None, "TEXT:12345"),
        (_text("12345"), Step.ASK.value, "STEP:12345"),
        (_text("/unknown"), None, "FALLBACK:/unknown"),
        (_text("hello"), None, "FALLBACK:hello"),
        (
            ChoiceSelected(user=None, chat=CHAT, occurred_at=NOW, payload="test:pick:en"),
            None,
            "CHOICE:Pick(language=<Language.EN: 'en'>)",
        ),
        (
            ChoiceSelected(user=None, chat=CHAT, occurred_at=NOW, payload="test:pick:xx"),
            None,
            "FALLBACK:",
        ),
        (
            ChoiceSelected(user=None, chat=CHAT, occurred_at=NOW, payload="cmd:help:x"),
            None,
            "COMMAND:x",
        ),
        (
            ChoiceSelected(user=None, chat=CHAT, occurred_at=NOW, payload="old:1"),
            None,
            "FALLBACK:",
        ),
        (StickerReceived(user=None, chat=CHAT, occurred_at=NOW), None, "EVENT:"),
    ],
)
def test_precedence(event: Event, step: str | None, expected: str) -> None:
    """Each event goes to the route its kind and the flow state call for."""
    assert _kind(event, step) == expected


def test_groups_get_no_fallback_or_free_text_routes() -> None:
    """In groups, chatter and unknown commands fall through to nothing."""
    group = ChatRef(channel=Channel.CONSOLE, external_id="g", kind=ChatKind.GROUP)
    chatter = TextReceived(user=None, chat=group, occurred_at=NOW, text="12345")
    assert _kind(chatter, group=True) is None
    command = TextReceived(user=None, chat=group, occurred_at=NOW, text="/help")
    assert _kind(command, group=True) == "COMMAND:"


def test_choices_are_bounded() -> None:
    """More than 13 options is refused at construction."""
    with pytest.raises(ReplyError):
        Choices(text="x", options=tuple(Choice(label=str(i), payload=f"p:{i}") for i in range(14)))


def test_only_chat_routes_answer_events_that_name_nobody() -> None:
    """A chat route answers with or without a sender; a route wanting a person only with one."""
    chats = Router("chats")

    async def greet_group(_event: JoinedGroup, _ctx: ChatContext) -> list[Reply]:
        return []

    chats.event(LeftGroup, access=ANYONE)(_handler)
    chats.chat_event(JoinedGroup)(greet_group)
    group = ChatRef(channel=Channel.CONSOLE, external_id="g", kind=ChatKind.GROUP)
    joined = JoinedGroup(user=None, chat=group, occurred_at=NOW)
    assert find_chat_route([chats], joined) is greet_group
    match = find_route([chats], joined, step=None, in_group=True, keywords={})
    assert match is not None and match.route.handler is greet_group
    left = LeftGroup(user=None, chat=group, occurred_at=NOW)
    assert find_chat_route([chats], left) is None
    assert find_route([chats], left, step=None, in_group=True, keywords={}) is not None


def _member(role: Role) -> Member:
    return Member(organisation_id=1, role=role, language=Language.TH, status=MemberStatus.ACTIVE)


def test_sub_commands_are_routes_of_their_own_chosen_by_who_may_use_them() -> None:
    """`/announce status 3` takes its own route; a command's routes are picked by access."""
    routes = Router("subs")

    async def start(_event: Event, _ctx: Context) -> list[Reply]:
        return []

    async def status(_event: Event, _ctx: Context) -> list[Reply]:
        return []

    async def anyone(_event: Event, _ctx: Context) -> list[Reply]:
        return []

    routes.command("announce", access=MEMBERS)(start)
    routes.command("announce", sub="status", access=MEMBERS)(status)
    routes.command("invite", access=ADMINS)(_handler)
    routes.command("invite", access=MEMBERS)(anyone)

    def route(text: str, member: Member | None) -> tuple[object, str]:
        match = find_route(
            [routes],
            _text(text),
            step=None,
            in_group=False,
            keywords={},
            allowed=lambda access: access.allows(member),
        )
        assert match is not None
        return match.route.handler, match.args

    officer, admin = _member(Role.OFFICER), _member(Role.ADMIN)
    assert route("/announce status 3", officer) == (status, "3")
    assert route("/announce STATUS", officer) == (status, "")
    assert route("/announce statuses are late", officer) == (start, "statuses are late")
    assert route("/announce", officer) == (start, "")
    assert route("/invite x", admin) == (_handler, "x")
    assert route("/invite x", officer) == (anyone, "x")
    assert route("/invite x", None) == (_handler, "x")  # nobody may: the first one refuses


def test_keywords_stay_loose_after_a_list_that_awaits_no_answer() -> None:
    """A remembered state no step route answers leaves keywords loose: a search still works."""
    assert _kind(_text("ช่วยเหลือ ทีหลัง"), "materials.shown") == "COMMAND:ทีหลัง"


def test_an_event_route_with_steps_takes_only_what_comes_at_them() -> None:
    """A photo at a flow's step goes to the flow; elsewhere to the general route after it."""
    files = Router("files")

    async def evidence(_event: Event, _ctx: Context) -> list[Reply]:
        return []

    files.event(StickerReceived, access=ANYONE, steps=(Step.ASK,))(evidence)
    files.event(StickerReceived, access=ANYONE)(_handler)
    sticker = StickerReceived(user=None, chat=CHAT, occurred_at=NOW)

    def handler(step: str | None) -> object:
        match = find_route([files], sticker, step=step, in_group=False, keywords={})
        assert match is not None
        return match.route.handler

    assert handler(Step.ASK.value) is evidence
    assert handler(None) is _handler
    assert handler("demo.other") is _handler


def test_amid_a_flow_a_keyword_of_a_command_one_may_not_use_is_an_answer() -> None:
    """At a step, `ช่วยเหลือ` is the answer of someone who may not use /help; else the command."""
    staff = Router("staff")
    staff.command("help", access=ADMINS)(_handler)
    staff.step(Step.ASK, access=ANYONE)(_handler)
    officer = _member(Role.OFFICER)

    def kind(step: str | None, member: Member) -> str:
        match = find_route(
            [staff],
            _text("ช่วยเหลือ"),
            step=step,
            in_group=False,
            keywords=KEYWORDS,
            allowed=lambda access: access.allows(member),
        )
        assert match is not None
        return match.route.kind.name

    assert kind(Step.ASK.value, officer) == "STEP"
    assert kind(Step.ASK.value, _member(Role.ADMIN)) == "COMMAND"
    assert kind(None, officer) == "COMMAND"  # outside a flow it is refused, saying why
