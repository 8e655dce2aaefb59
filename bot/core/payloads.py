"""Button payloads: small declared types, packed and parsed here and nowhere else.

In the spirit of aiogram's `CallbackData`: a payload type names a prefix and typed fields,

    class ApproveAnnouncement(Payload, prefix="ann:approve"):
        announcement_id: int

and travels as text, the prefix then the fields, joined by ":" (`ann:approve:12`), which is what
LINE's postback data and Telegram's callback data carry. Routers match on the type, and a
choice handler receives the parsed object. The worst case of every type is checked against the
strictest platform when the type is declared, so a button can never be too long to send:
Telegram's 64 bytes of callback data, less the 2-byte version tag its adapter puts in front
(LINE takes 300 characters). A string field therefore declares its ceiling in bytes
(`Annotated[str, MaxBytes(20)]`), except the last field, which takes what room is left and may
contain ":" (a command's arguments, say).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Annotated, Any, ClassVar, dataclass_transform, get_args, get_origin
from typing import get_type_hints as type_hints

SEPARATOR = ":"
MAX_PAYLOAD_BYTES = 62  # Telegram: 64 bytes of callback_data, less the adapter's "1|"
INT_BYTES = 20  # the longest 64-bit integer, sign included


class PayloadError(ValueError):
    """A payload type that cannot fit every platform, or a value that cannot be packed."""


@dataclass(frozen=True, slots=True)
class MaxBytes:
    """A string field's ceiling, in UTF-8 bytes."""

    limit: int


@dataclass(frozen=True, slots=True)
class _Codec:
    """How one field becomes text and back, and how long its text can be."""

    name: str
    encode: Callable[[Any], str]
    decode: Callable[[str], Any]
    max_bytes: int | None  # None: the last string field, which takes the room left


def _codec(name: str, hint: Any, *, last: bool) -> _Codec:
    """The codec of a field annotated `hint`; PayloadError for types a button cannot carry."""
    limit: int | None = None
    if get_origin(hint) is Annotated:
        hint, *extras = get_args(hint)
        limit = next((e.limit for e in extras if isinstance(e, MaxBytes)), None)
    if hint is bool:
        return _Codec(name, lambda v: "1" if v else "0", _decode_bool, 1)
    if hint is int:
        return _Codec(name, str, int, INT_BYTES)
    if isinstance(hint, type) and issubclass(hint, Enum):
        values = [str(member.value) for member in hint]
        longest = max(len(value.encode()) for value in values)
        return _Codec(name, lambda v: str(v.value), hint, longest)
    if hint is str:
        if limit is None and not last:
            raise PayloadError(f"field {name!r}: a string before the last needs MaxBytes")
        return _Codec(name, str, str, limit)
    raise PayloadError(f"field {name!r}: a button cannot carry {hint!r}")


def _decode_bool(text: str) -> bool:
    if text not in {"0", "1"}:
        raise ValueError(f"not a flag: {text!r}")
    return text == "1"


_TYPES: dict[str, type[Payload]] = {}


@dataclass_transform(frozen_default=True)
class Payload:
    """Base of every button payload type; subclasses are frozen dataclasses with a prefix."""

    prefix: ClassVar[str]
    _codecs: ClassVar[tuple[_Codec, ...]]
    _defaults: ClassVar[dict[str, Any]]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or prefix in _TYPES:
            raise PayloadError(f"payload prefix {prefix!r} is empty or taken")
        dataclass(frozen=True)(cls)
        hints = type_hints(cls, include_extras=True)
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # made a dataclass above
        cls.prefix = prefix
        cls._codecs = tuple(
            _codec(f.name, hints[f.name], last=i == len(fields) - 1) for i, f in enumerate(fields)
        )
        cls._defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
        fixed = sum(len(SEPARATOR) + (codec.max_bytes or 0) for codec in cls._codecs)
        if len(prefix.encode()) + fixed > MAX_PAYLOAD_BYTES:
            raise PayloadError(
                f"payload {cls.__name__} can take {len(prefix.encode()) + fixed} bytes; "
                f"buttons carry at most {MAX_PAYLOAD_BYTES}"
            )
        _TYPES[prefix] = cls

    def pack(self) -> str:
        """The payload as button text: fields equal to their defaults at the end are left out."""
        parts = [self.prefix]
        values = [(codec, getattr(self, codec.name)) for codec in self._codecs]
        while (
            values and self._defaults.get(values[-1][0].name, dataclasses.MISSING) == values[-1][1]
        ):
            values.pop()
        for index, (codec, value) in enumerate(values):
            text = codec.encode(value)
            last = index == len(self._codecs) - 1
            if not last and SEPARATOR in text:
                raise PayloadError(f"{type(self).__name__}.{codec.name} may not contain ':'")
            if codec.max_bytes is not None and len(text.encode()) > codec.max_bytes:
                raise PayloadError(
                    f"{type(self).__name__}.{codec.name} is over {codec.max_bytes} bytes"
                )
            parts.append(text)
        packed = SEPARATOR.join(parts)
        if len(packed.encode()) > MAX_PAYLOAD_BYTES:
            raise PayloadError(f"{type(self).__name__} packs to over {MAX_PAYLOAD_BYTES} bytes")
        return packed

    @classmethod
    def _unpack(cls, fields: list[str]) -> Payload | None:
        """An instance from the texts after the prefix; None when they do not fit the type."""
        codecs = cls._codecs
        if len(fields) > len(codecs) and codecs and codecs[-1].max_bytes is None:
            fields = [*fields[: len(codecs) - 1], SEPARATOR.join(fields[len(codecs) - 1 :])]
        if len(fields) > len(codecs):
            return None
        values: dict[str, Any] = {}
        for codec, text in zip(codecs, fields, strict=False):
            try:
                values[codec.name] = codec.decode(text)
            except ValueError:
                return None
        missing = [c.name for c in codecs[len(fields) :] if c.name not in cls._defaults]
        return None if missing else cls(**values)


def parse_payload(data: str) -> Payload | None:
    """The payload a button sent back; None for text no declared type reads (a stale button)."""
    parts = data.split(SEPARATOR)
    for cut in range(len(parts), 0, -1):  # the longest prefix wins: `ann:approve` over `ann`
        kind = _TYPES.get(SEPARATOR.join(parts[:cut]))
        if kind is not None:
            return kind._unpack(parts[cut:])
    return None


def payload_types() -> tuple[type[Payload], ...]:
    """Every declared payload type (for the test that packs each one's worst case)."""
    return tuple(_TYPES.values())


class Answer(StrEnum):
    """A yes-or-no button's answer."""

    YES = "yes"
    NO = "no"


class Command(Payload, prefix="cmd"):
    """A button that does what typing `/name args` does (menus, rich menu tiles)."""

    name: Annotated[str, MaxBytes(24)]
    args: str = ""
