"""An update being made in chat: its steps, and what has been chosen so far.

Kept in `conversation_states` (so it survives restarts and works across workers) for 30
minutes; nothing is written to the milestone until the summary is confirmed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from db.enums import MilestoneStatus
from db.repositories.progress import Evidence

T = TypeVar("T")
FLOW = "progress"
FLOW_TTL = timedelta(minutes=30)
# Statuses that decide the percent themselves: no percent step after them.
SETTLED = {MilestoneStatus.DONE: 100, MilestoneStatus.NOT_STARTED: 0}


class Step(StrEnum):
    """Steps of updating a milestone."""

    STATUS = "progress.status"
    PERCENT = "progress.percent"
    NOTE = "progress.note"
    EVIDENCE = "progress.evidence"
    CONFIRM = "progress.confirm"


class Heard(StrEnum):
    """A report typed in plain words that named no milestone: which one is asked first."""

    PICK = "progress.pick"  # the data holds the status and percent heard


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """A file sent as evidence, already kept under the media directory."""

    path: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class Draft:
    """What an update says so far."""

    milestone_id: int
    status: MilestoneStatus | None = None
    percent: int | None = None
    note: str | None = None
    link: str | None = None
    file: EvidenceFile | None = None

    def with_status(self, status: MilestoneStatus) -> Draft:
        """The status chosen; a status that decides the percent drops a percent chosen before."""
        return replace(self, status=status, percent=None if status in SETTLED else self.percent)

    def with_evidence(self, *, link: str | None = None, file: EvidenceFile | None = None) -> Draft:
        """A link, a file, or (neither) no evidence: each replaces the others."""
        return replace(self, link=link, file=file)

    @property
    def has_evidence(self) -> bool:
        """Whether a link or a file was given."""
        return self.link is not None or self.file is not None

    def evidence(self) -> Evidence | None:
        """The evidence as the repository stores it."""
        if self.file is not None:
            return Evidence(
                path=self.file.path, content_type=self.file.content_type, size=self.file.size
            )
        return Evidence(url=self.link) if self.link is not None else None

    def data(self) -> dict[str, Any]:
        """The draft as state data (JSON)."""
        data = asdict(self)
        data["status"] = self.status.value if self.status is not None else None
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft | None:
        """The draft a state holds; None for data of another flow or shape."""
        try:
            file = data.get("file")
            status = data.get("status")
            return cls(
                milestone_id=int(data["milestone_id"]),
                status=MilestoneStatus(status) if status is not None else None,
                percent=_optional(data.get("percent"), int),
                note=_optional(data.get("note"), str),
                link=_optional(data.get("link"), str),
                file=EvidenceFile(**file) if isinstance(file, dict) else None,
            )
        except (KeyError, TypeError, ValueError):
            return None


def _optional(value: object, kind: type[T]) -> T | None:
    """`value` if it is a `kind` or None; TypeError for anything else."""
    if value is None:
        return None
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}")
    return value
