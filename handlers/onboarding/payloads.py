"""Onboarding's buttons."""

from __future__ import annotations

from bot.core.payloads import Answer, Payload


class ConsentAnswer(Payload, prefix="consent"):
    """The PDPA question answered (`consent:yes`, `consent:no`)."""

    answer: Answer
