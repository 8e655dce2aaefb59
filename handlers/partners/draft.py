"""Sharing a contact for an introduction: its one step, and which introduction it is for.

Kept in `conversation_states` (so it survives restarts and works across workers) for 30 minutes;
nothing is stored until a valid phone number, e-mail address or chat handle is typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

FLOW = "partners"
FLOW_TTL = timedelta(minutes=30)


class Step(StrEnum):
    """Steps of answering an introduction."""

    CONTACT = "partners.contact"  # a phone number, e-mail address or chat handle to share


@dataclass(frozen=True, slots=True)
class Draft:
    """The introduction being answered."""

    interest_id: int

    def data(self) -> dict[str, Any]:
        """The draft as state data (JSON)."""
        return {"interest_id": self.interest_id}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft | None:
        """The draft a state holds; None for data of another flow or shape."""
        try:
            return cls(interest_id=int(data["interest_id"]))
        except (KeyError, TypeError, ValueError):
            return None
