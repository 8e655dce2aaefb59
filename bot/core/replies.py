"""What goes out: the reply vocabulary handlers return and every adapter knows how to render.

Limits here are the strictest common ones; adapters split or shorten further for their platform.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

MAX_CHOICES = 13  # LINE quick reply's ceiling; Telegram keyboards take as many
MAX_CARDS = 10
# A document's bytes travel inside its outbox row (JSON, base64): small files only, such as a
# calendar feed. Anything larger goes by `url`.
MAX_DOCUMENT_CONTENT = 256 * 1024


class ReplyError(ValueError):
    """A reply that no channel could render."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Reply:
    """Base of every reply."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Text(Reply):
    """Plain text; adapters split it at their platform's length limit."""

    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Choice:
    """One option: a short label and the payload that comes back as `ChoiceSelected`."""

    label: str
    payload: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Choices(Reply):
    """A question with options; the first option is the suggested one."""

    text: str
    options: tuple[Choice, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.options) <= MAX_CHOICES:
            raise ReplyError(f"Choices takes 1 to {MAX_CHOICES} options, got {len(self.options)}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Button:
    """A card button: opens `url`, or sends `payload` back as a choice."""

    label: str
    url: str | None = None
    payload: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.payload is None):
            raise ReplyError("a Button has exactly one of url or payload")


@dataclass(frozen=True, kw_only=True, slots=True)
class Card:
    """A titled item with an optional link and buttons (a material, an offer, a milestone)."""

    title: str
    subtitle: str = ""
    link: str | None = None
    image_url: str | None = None
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Cards(Reply):
    """A list or carousel of cards, introduced by `text`."""

    text: str
    cards: tuple[Card, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.cards) <= MAX_CARDS:
            raise ReplyError(f"Cards takes 1 to {MAX_CARDS} cards, got {len(self.cards)}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Link(Reply):
    """A sentence with one link to open."""

    text: str
    label: str
    url: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Document(Reply):
    """A file to hand over; channels that cannot send files send a link card instead.

    With `content` (at most MAX_DOCUMENT_CONTENT bytes, and a `file_name`) channels that can
    upload a file send these bytes; the others, and those that cannot send files, link to
    `url`, which serves the same file.
    """

    title: str
    url: str
    caption: str = ""
    file_name: str | None = None
    content: bytes | None = None

    def __post_init__(self) -> None:
        if self.content is None:
            return
        if len(self.content) > MAX_DOCUMENT_CONTENT:
            raise ReplyError(
                f"a Document carries at most {MAX_DOCUMENT_CONTENT} bytes, got "
                f"{len(self.content)}; send a larger file by its url alone"
            )
        if not self.content:
            raise ReplyError("a Document's content is empty")
        if not self.file_name:
            raise ReplyError("a Document with content needs a file_name")


_REPLY_TYPES: dict[str, type[Reply]] = {
    cls.__name__: cls for cls in (Text, Choices, Cards, Link, Document)
}


def _plain(value: Any) -> Any:
    """`value` with our dataclasses as dicts and tuples as lists, copying nothing else.

    `dataclasses.asdict` deep-copies every field on the way, which cost more than the rest of
    queuing a menu; replies are immutable, so their text and ids are shared as they are.
    """
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    return value


@functools.cache
def _field_names(kind: type[Any]) -> tuple[str, ...]:
    return tuple(field.name for field in fields(kind))


def reply_to_data(reply: Reply) -> dict[str, Any]:
    """A reply as JSON-able data, for the outbox (which stores replies before sending them)."""
    data: dict[str, Any] = _plain(reply)
    data["type"] = type(reply).__name__
    if isinstance(reply, Document):
        # Rows without a file keep the shape they had before documents could carry one.
        content = data.pop("content")
        if content is not None:
            data["content"] = base64.b64encode(content).decode("ascii")
    return data


def reply_from_data(data: Mapping[str, Any]) -> Reply:
    """The reply that `reply_to_data` stored."""
    fields = dict(data)
    kind = _REPLY_TYPES.get(str(fields.pop("type", "")))
    if kind is None:
        raise ReplyError(f"unknown reply type {data.get('type')!r}")
    if kind is Choices:
        fields["options"] = tuple(Choice(**option) for option in fields["options"])
    elif kind is Cards:
        fields["cards"] = tuple(
            Card(**{**card, "buttons": tuple(Button(**b) for b in card["buttons"])})
            for card in fields["cards"]
        )
    elif kind is Document and fields.get("content") is not None:
        try:
            fields["content"] = base64.b64decode(fields["content"], validate=True)
        except (ValueError, TypeError) as error:  # binascii.Error is a ValueError
            raise ReplyError(f"a stored Document's content is not base64: {error}") from None
    return kind(**fields)
