"""The buttons of competition entries: a stage to submit, confirm or cancel, an executive's
decision on an officer's entry, and depa's stage picker.

The flow's buttons carry their stage, so a button of an earlier entry (another stage, or one
that expired) is recognised as stale instead of acting on the entry being made now.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.payloads import Payload


class Act(StrEnum):
    """Confirm or cancel the entry being made."""

    CONFIRM = "ok"
    CANCEL = "cancel"


class StagePicked(Payload, prefix="sub:st"):
    """Submit to this stage (`sub:st:3`)."""

    deadline_id: int


class EntryPressed(Payload, prefix="sub:do"):
    """Confirm or cancel the entry for a stage (`sub:do:3:ok`)."""

    deadline_id: int
    act: Act


class Decided(Payload, prefix="sub:dec"):
    """An executive submits (1) or rejects (0) an officer's prepared entry (`sub:dec:812:1`)."""

    prepared_id: int
    approve: bool


class StageReport(Payload, prefix="sub:list"):
    """depa: who has submitted this stage."""

    deadline_id: int
