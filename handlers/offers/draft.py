"""An offer being written in chat: its steps, what it holds so far, and reading typed choices.

Kept in `conversation_states` (so it survives restarts and works across workers) for 30 minutes;
nothing is stored as an offer until the preview is confirmed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from bot.core.texts import Texts
from db.enums import OfferKind
from handlers.offers.payloads import Act
from handlers.offers.service import NewOffer, OfferError

FLOW = "offer"
REVIEW_FLOW = "offerreview"
FLOW_TTL = timedelta(minutes=30)
CITIES_PAGE = 11  # city buttons a page: with More and Done, LINE's 13 quick replies
_SEPARATORS = re.compile(r"[,\n、;]+")


class Step(StrEnum):
    """Steps of writing an offer, in order."""

    DOMAINS = "offer.domains"  # toggle domains, Done
    TITLE = "offer.title"
    DESCRIPTION = "offer.description"
    KIND = "offer.kind"
    TARGETS = "offer.targets"  # all cities, or choose
    CITIES = "offer.cities"  # toggle cities, Done
    LINK = "offer.link"  # a link, or Skip
    PREVIEW = "offer.preview"  # the card: Confirm, Edit, Cancel


class Review(StrEnum):
    """depa's Reject button asks for the reason."""

    REASON = "offerreview.reason"


# Which step each flow button moves on from, and to.
MOVES: dict[Act, tuple[frozenset[Step], Step]] = {
    Act.DOMAINS_DONE: (frozenset({Step.DOMAINS}), Step.TITLE),
    Act.ALL_CITIES: (frozenset({Step.TARGETS}), Step.LINK),
    Act.CHOOSE_CITIES: (frozenset({Step.TARGETS}), Step.CITIES),
    Act.MORE_CITIES: (frozenset({Step.CITIES}), Step.CITIES),
    Act.CITIES_DONE: (frozenset({Step.CITIES}), Step.LINK),
    Act.SKIP_LINK: (frozenset({Step.LINK}), Step.PREVIEW),
    Act.EDIT: (frozenset({Step.PREVIEW}), Step.DOMAINS),
}
KEEPS = {Step.TITLE: Step.DESCRIPTION, Step.DESCRIPTION: Step.KIND, Step.LINK: Step.PREVIEW}


@dataclass(frozen=True, slots=True)
class Draft:
    """What the firm has given so far: domain and city slugs, words, kind, link."""

    domains: tuple[str, ...] = ()
    title: str | None = None
    description: str | None = None
    kind: OfferKind | None = None
    targets_all: bool | None = None
    targets: tuple[str, ...] = ()
    url: str | None = None
    page: int = 0  # the page of city buttons shown

    def data(self) -> dict[str, Any]:
        """The draft as state data (JSON)."""
        return {
            "domains": list(self.domains),
            "title": self.title,
            "description": self.description,
            "kind": self.kind.value if self.kind else None,
            "targets_all": self.targets_all,
            "targets": list(self.targets),
            "url": self.url,
            "page": self.page,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft | None:
        """The draft a state holds; None for data of another flow or shape."""
        try:
            kind = data.get("kind")
            return cls(
                domains=tuple(str(slug) for slug in data["domains"]),
                title=data.get("title"),
                description=data.get("description"),
                kind=OfferKind(kind) if kind else None,
                targets_all=data.get("targets_all"),
                targets=tuple(str(slug) for slug in data.get("targets", [])),
                url=data.get("url"),
                page=int(data.get("page", 0)),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def offer(self) -> NewOffer | None:
        """The offer to store, once every step is answered."""
        if self.title is None or self.description is None or self.kind is None:
            return None
        if self.targets_all is None:
            return None
        return NewOffer(
            domains=self.domains,
            title=self.title,
            description=self.description,
            kind=self.kind,
            targets_all=self.targets_all,
            targets=() if self.targets_all else self.targets,
            url=self.url,
        )


def toggled(chosen: Sequence[str], slug: str, order: Sequence[str]) -> tuple[str, ...]:
    """`chosen` with `slug` added or removed, in `order` (a domain or city button pressed)."""
    now = set(chosen) ^ {slug}
    return tuple(s for s in order if s in now)


class Named(Protocol):
    """A domain or a city: what people may type for it."""

    @property
    def slug(self) -> str:
        """Its stable slug."""

    @property
    def name_th(self) -> str:
        """Its Thai name."""

    @property
    def name_en(self) -> str:
        """Its English name."""


N = TypeVar("N", bound=Named)


def _one(part: str, items: Sequence[N], unknown: str) -> N:
    """The item `part` names: its number, slug or name, else the one name containing it."""
    wanted = " ".join(part.split()).casefold()
    if wanted.isdecimal() and 1 <= int(wanted) <= len(items):
        return items[int(wanted) - 1]
    for item in items:
        if wanted in {item.slug, item.name_th.casefold(), item.name_en.casefold()}:
            return item
    containing = [
        item
        for item in items
        if wanted in item.name_th.casefold() or wanted in item.name_en.casefold()
    ]
    if len(containing) != 1:
        known = ", ".join(item.slug for item in items)
        raise OfferError(unknown, typed=part.strip()[:60], known=known)
    return containing[0]


def pick(typed: str, items: Sequence[N], *, unknown: str, empty: str) -> list[N]:
    """The items named in `typed` ("1, 3", "energy, people", "พลังงาน"), in the items' order.

    Parts are split on commas and new lines; a part of numbers only may be split on spaces
    ("1 3"). OfferError `unknown` for the first part that names nothing, `empty` for none.
    """
    parts: list[str] = []
    for part in _SEPARATORS.split(typed):
        words = part.split()
        parts.extend(words if words and all(w.isdecimal() for w in words) else [part])
    chosen = {id(_one(part, items, unknown)) for part in parts if part.strip()}
    if not chosen:
        raise OfferError(empty)
    return [item for item in items if id(item) in chosen]


def said(texts: Texts, typed: str, key: str) -> bool:
    """Whether `typed` is one of the words `offers.<key>` lists, in any language."""
    wanted = " ".join(typed.split()).casefold()
    return any(
        wanted == word.strip().casefold()
        for language in texts.by_language
        for word in texts.get(language, f"offers.{key}").split(",")
    )


def read_kind(texts: Texts, typed: str) -> OfferKind:
    """The kind typed: its number, its slug, or its name in any language."""
    kinds = list(OfferKind)
    wanted = " ".join(typed.split()).casefold()
    if wanted.isdecimal() and 1 <= int(wanted) <= len(kinds):
        return kinds[int(wanted) - 1]
    for kind in kinds:
        names = {texts.get(lang, f"partners.kinds.{kind.value}") for lang in texts.by_language}
        if wanted in {kind.value, *(name.casefold() for name in names)}:
            return kind
    raise OfferError("unknown_kind", typed=typed.strip()[:60])
