"""Progress's buttons: a milestone to update, the update flow's answers, depa's city picker.

The flow's buttons carry the milestone they answer for, so a button left from an earlier update
(of another milestone, or one that expired) is recognised as stale instead of being applied to
whatever is being updated now.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.payloads import Payload
from db.enums import MilestoneStatus


class Act(StrEnum):
    """A flow button that needs nothing more than the milestone."""

    SKIP_NOTE = "nonote"
    KEEP_NOTE = "note"
    SKIP_EVIDENCE = "noev"
    KEEP_EVIDENCE = "ev"
    CONFIRM = "ok"
    EDIT = "edit"
    CANCEL = "cancel"


class UpdateMilestone(Payload, prefix="prg:ms"):
    """Start an update of a milestone of one's own city (`prg:ms:12`)."""

    milestone_id: int


class MilestonePage(Payload, prefix="prg:page"):
    """A page of one's city's milestone buttons."""

    page: int = 0


class StatusPicked(Payload, prefix="prg:st"):
    """The status an update reports (`prg:st:12:blocked`)."""

    milestone_id: int
    status: MilestoneStatus


class PercentPicked(Payload, prefix="prg:pct"):
    """The percent an update reports (`prg:pct:12:75`)."""

    milestone_id: int
    percent: int


class Pressed(Payload, prefix="prg:do"):
    """Skip, keep, confirm, edit or cancel (`prg:do:12:ok`)."""

    milestone_id: int
    act: Act


class CityPicked(Payload, prefix="prg:city"):
    """depa: one city's detail, by organisation id."""

    organisation_id: int


class CityPage(Payload, prefix="prg:cities"):
    """depa: a page of the overview's city buttons."""

    page: int = 0
