"""What a seed did: each row it looked at was created, updated or left as it was.

Rows are counted once each, however often a run touches them: a milestone two demo reports move
is one updated row, and a row the run itself created is created, never also updated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from db import models
from db.base import Base
from db.repositories.content import Change

# The tables seeding writes, in the order the report lists them.
SEEDED_MODELS: tuple[type[Base], ...] = (
    models.Domain,
    models.Organisation,
    models.OrganisationDomain,
    models.Workshop,
    models.WorkshopSession,
    models.Material,
    models.FaqEntry,
    models.Plan,
    models.Milestone,
    models.Competition,
    models.Deadline,
    models.Reminder,
    models.Member,
    models.Identity,
    models.Consent,
    models.Invite,
    models.ProgressUpdate,
    models.PartnershipOffer,
    models.PartnershipInterest,
    models.CompetitionEntry,
)
_ORDER = [str(model.__tablename__) for model in SEEDED_MODELS]


@dataclass(frozen=True)
class SeedReport:
    """Rows per table after a seed, and per table how many it created, updated, left alone."""

    counts: dict[str, int]
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]

    def summary(self) -> str:
        """A few lines for the operator: totals, which tables changed, and what there is now."""
        created, updated = sum(self.created.values()), sum(self.updated.values())
        lines = [
            f"seeded: {created} rows created, {updated} updated, "
            f"{sum(self.unchanged.values())} unchanged"
        ]
        for label, tables in (("created", self.created), ("updated", self.updated)):
            if tables:
                lines.append(f"  {label}: {_tables(tables)}")
        lines.append(f"  now: {_tables(self.counts)}")
        return "\n".join(lines)


def _tables(counts: dict[str, int]) -> str:
    return ", ".join(f"{table} {count}" for table, count in counts.items())


class Tally:
    """The rows one run looked at, by table, and which of them it created or updated."""

    def __init__(self) -> None:
        self._seen: defaultdict[str, set[Hashable]] = defaultdict(set)
        self._created: defaultdict[str, set[Hashable]] = defaultdict(set)
        self._updated: defaultdict[str, set[Hashable]] = defaultdict(set)

    def note(self, model: type[Base], key: Hashable, change: Change) -> None:
        """Record what happened to the row of `model` identified by `key`."""
        table = str(model.__tablename__)
        self._seen[table].add(key)
        if change is Change.INSERTED:
            self._created[table].add(key)
        elif change is Change.UPDATED and key not in self._created[table]:
            self._updated[table].add(key)

    def report(self, counts: dict[str, int]) -> SeedReport:
        """The report of this run, given the rows each table holds now."""
        unchanged = {
            table: keys - self._created[table] - self._updated[table]
            for table, keys in self._seen.items()
        }
        return SeedReport(
            counts=counts,
            created=_ordered(self._created),
            updated=_ordered(self._updated),
            unchanged=_ordered(unchanged),
        )


def _ordered(rows: Mapping[str, set[Hashable]]) -> dict[str, int]:
    """Non-empty tables in report order, with their number of rows."""
    return {table: len(rows[table]) for table in _ORDER if rows.get(table)}
