"""A benchmark's result as a titled table, and its Markdown form for docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    """What one benchmark measured: a method paragraph, a table and remarks under it."""

    title: str
    method: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    notes: Sequence[str] = field(default_factory=tuple)

    def markdown(self) -> str:
        """The table as a Markdown section."""
        lines = [f"## {self.title}", "", self.method, ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join("---" for _ in self.columns) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        if self.notes:
            lines.append("")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


def seconds(value: float) -> str:
    """A duration for a table cell."""
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.0f} ms"


def rate(value: float) -> str:
    """A per-second rate for a table cell, thousands separated."""
    return f"{value:,.0f}"
