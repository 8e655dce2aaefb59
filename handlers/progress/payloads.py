"""Typed buttons of progress: a milestone to report on."""

from __future__ import annotations

from bot.core.payloads import Payload


class UpdateMilestone(Payload, prefix="prog:m"):
    """Start reporting on this milestone (a check-in's buttons, the city's milestone list)."""

    milestone_id: int
