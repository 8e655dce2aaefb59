"""A question or a reply being typed: its steps, and what it carries between them.

Kept in `conversation_states` (so it survives restarts and works across workers) for 30 minutes;
nothing is stored as a ticket or a message until it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

FLOW = "ask"
FLOW_TTL = timedelta(minutes=30)


class Step(StrEnum):
    """Steps of asking depa and of a ticket's thread."""

    QUESTION = "ask.question"  # the asker types the question
    OFFERED = "ask.offered"  # the FAQ's answers (or none) shown: answered, a person, cancel
    REPLY = "ask.reply"  # a coordinator types the reply to a ticket
    ANSWER = "ask.answer"  # the asker types their answer back on a ticket


class Unplaced(StrEnum):
    """Free text nobody placed, kept so its "Ask a person" button can send it.

    A flow of its own, awaiting no text: the next words are read afresh (by the help, or a
    command, with no "not sent" notice), and replace the kept ones.
    """

    OFFERED = "unplaced.offered"


@dataclass(frozen=True, slots=True)
class Draft:
    """The question asked, or the ticket being written on."""

    question: str = ""
    ticket_id: int | None = None

    def data(self) -> dict[str, Any]:
        """The draft as state data (JSON)."""
        return {"question": self.question, "ticket_id": self.ticket_id}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft:
        """The draft a state holds (empty for data of another shape)."""
        ticket = data.get("ticket_id")
        question = data.get("question")
        return cls(
            question=question if isinstance(question, str) else "",
            ticket_id=ticket if isinstance(ticket, int) else None,
        )
