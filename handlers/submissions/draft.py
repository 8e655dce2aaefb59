"""An entry being made in chat: its steps, and what has been handed in so far.

Kept in `conversation_states` (so it survives restarts and works across workers) for 30 minutes;
nothing is stored as a submission until the summary is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from handlers.submissions.service import Entry

FLOW = "submit"
FLOW_TTL = timedelta(minutes=30)


class Step(StrEnum):
    """Steps of making an entry."""

    CONTENT = "submit.content"  # a file or a link, for the chosen stage
    CONFIRM = "submit.confirm"  # the summary, confirm or cancel


@dataclass(frozen=True, slots=True)
class Draft:
    """The stage chosen and, once given, the file or link."""

    deadline_id: int
    entry: Entry | None = None

    def data(self) -> dict[str, Any]:
        """The draft as state data (JSON)."""
        entry = self.entry.data() if self.entry is not None else None
        return {"deadline_id": self.deadline_id, "entry": entry}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft | None:
        """The draft a state holds; None for data of another flow or shape."""
        try:
            entry = data.get("entry")
            return cls(
                deadline_id=int(data["deadline_id"]),
                entry=Entry.from_data(entry) if isinstance(entry, dict) else None,
            )
        except (KeyError, TypeError, ValueError):
            return None
