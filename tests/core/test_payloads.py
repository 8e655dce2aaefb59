"""Typed button payloads: packed and parsed in one place, never too long for any platform."""

from __future__ import annotations

import dataclasses
import typing
from enum import Enum, StrEnum
from typing import Annotated, Any

import pytest

import handlers  # noqa: F401  # declares every feature's payload types
from bot.core.payloads import (
    MAX_PAYLOAD_BYTES,
    Command,
    MaxBytes,
    Payload,
    PayloadError,
    parse_payload,
    payload_types,
)

LINE_POSTBACK_LIMIT = 300  # characters
TELEGRAM_CALLBACK_LIMIT = 64  # bytes, with the adapter's 2-byte version tag in front


class Colour(StrEnum):
    """A test enum."""

    RED = "red"
    GREEN = "green"


class Sample(Payload, prefix="test:sample"):
    """Every kind of field a button carries."""

    colour: Colour
    count: int
    flag: bool
    name: Annotated[str, MaxBytes(8)]
    rest: str = ""


def test_round_trip_of_every_field_kind() -> None:
    """What is packed parses back to an equal payload; the last string may hold ':'."""
    sample = Sample(Colour.GREEN, -42, True, "ขอ", "a:b c")
    packed = sample.pack()
    assert packed == "test:sample:green:-42:1:ขอ:a:b c"
    assert parse_payload(packed) == sample


def test_trailing_defaults_are_left_out_and_filled_back() -> None:
    """`cmd:help` is a command without arguments, as rich menus have always sent it."""
    assert Command("help").pack() == "cmd:help"
    assert parse_payload("cmd:help") == Command("help", "")
    assert parse_payload("cmd:announce:list") == Command("announce", "list")


@pytest.mark.parametrize(
    "data",
    ["", "nope", "test:sample", "test:sample:blue:1:1:x", "test:sample:red:x:1:x", "lang:xx"],
)
def test_unreadable_payloads_parse_to_nothing(data: str) -> None:
    """A stale or forged button is None (the router falls back), never an exception."""
    assert parse_payload(data) is None


def test_a_type_that_could_outgrow_a_button_is_refused_when_declared() -> None:
    """The worst case is checked at declaration, not when a person presses the button."""
    with pytest.raises(PayloadError, match="can take"):

        class _TooLong(Payload, prefix="test:too-long"):
            first: Annotated[str, MaxBytes(30)]
            second: Annotated[str, MaxBytes(30)]

    with pytest.raises(PayloadError, match="needs MaxBytes"):

        class _Unbounded(Payload, prefix="test:unbounded"):
            first: str
            second: int


def test_values_that_do_not_fit_their_field_are_refused_when_packed() -> None:
    """A string over its ceiling, or a ':' inside a field that is not last, cannot be packed."""
    with pytest.raises(PayloadError):
        Sample(Colour.RED, 1, False, "x" * 9).pack()
    with pytest.raises(PayloadError):
        Sample(Colour.RED, 1, False, "a:b").pack()


def _worst(kind: type[Payload]) -> Payload:
    """An instance of `kind` with every field at its longest."""
    hints = typing.get_type_hints(kind, include_extras=True)
    values: dict[str, Any] = {}
    fields = dataclasses.fields(kind)  # type: ignore[arg-type]
    used = len(kind.prefix.encode())
    for index, field in enumerate(fields):
        hint = hints[field.name]
        limit = None
        if typing.get_origin(hint) is Annotated:
            hint, *extras = typing.get_args(hint)
            limit = next(e.limit for e in extras if isinstance(e, MaxBytes))
        if hint is int:
            values[field.name] = -(2**63)
        elif hint is bool:
            values[field.name] = True
        elif isinstance(hint, type) and issubclass(hint, Enum):
            values[field.name] = max(hint, key=lambda member: len(str(member.value)))
        else:
            room = limit if limit is not None else MAX_PAYLOAD_BYTES - used - 1
            values[field.name] = "ก" * (room // 3) + "x" * (room % 3)
        if index < len(fields) - 1 or limit is not None:
            used += 1 + len(str(getattr(values[field.name], "value", values[field.name])).encode())
    return kind(**values)


def test_every_declared_payload_fits_line_and_telegram() -> None:
    """Each feature's button types, at their longest, fit LINE's postback and Telegram's data."""
    declared = payload_types()
    assert len(declared) >= 15  # every feature's buttons are declared types
    for kind in declared:
        packed = _worst(kind).pack()
        assert len(packed) <= LINE_POSTBACK_LIMIT, kind
        assert len(("1|" + packed).encode()) <= TELEGRAM_CALLBACK_LIMIT, kind
        assert parse_payload(packed) == _worst(kind), kind
