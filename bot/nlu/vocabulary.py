"""The names understanding speaks in: intents (a contract, DESIGN.md) and the kinds of slot.

Kept apart from the lexicons and the scorer so that routing code can name an intent without
loading either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SlotKind(StrEnum):
    """What a slot phrase names."""

    MILESTONE = "milestone"
    DOMAIN = "domain"
    STAGE = "stage"
    ORG = "org"
    STATUS = "status"


class Intent(StrEnum):
    """The intents `citybot nlu` names (a contract: DESIGN.md)."""

    PROGRESS_UPDATE = "progress_update"
    PROGRESS_QUERY = "progress_query"
    DEADLINE_QUERY = "deadline_query"
    SUBMIT_ENTRY = "submit_entry"
    MATERIALS_SEARCH = "materials_search"
    PARTNER_OFFER = "partner_offer"
    PARTNER_SEARCH = "partner_search"
    QUESTION = "question"
    GREETING = "greeting"
    THANKS = "thanks"
    HELP = "help"
    UNKNOWN = "unknown"


STRONG = 2.0  # the weight of a cue that nearly decides an intent
WEAK = 1.0  # the weight of a cue that leans towards one


@dataclass(frozen=True, slots=True)
class Phrase:
    """A compact phrase and what finding it means."""

    text: str
    kind: str  # a SlotKind value, an Intent value (a cue), or QUESTION_MARK
    value: str  # the slot's value; for cues, the intent again
    weight: float = 1.0
