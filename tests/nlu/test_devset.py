"""Issue 15: the development set is understood at ≥ 95 % intent and slot accuracy."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.nlu.lexicon import Intent
from bot.nlu.understanding import Understander
from tests.nlu.devset import load_devset, score

TARGET = 0.95


def test_the_set_is_big_and_varied_enough() -> None:
    """At least 400 messages, every intent among them, no message twice."""
    labelled = load_devset()
    assert len(labelled) >= 400
    assert {item.intent for item in labelled} == {intent.value for intent in Intent}
    assert len({item.text for item in labelled}) == len(labelled)
    counts = Counter(item.intent for item in labelled)
    assert min(counts.values()) >= 15


def test_accuracy_on_the_development_set(
    understander: Understander, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both figures are reported, and both reach the target."""
    result = score(understander, load_devset())
    with capsys.disabled():
        print(
            f"\nNLU development set: intent {result.intent_accuracy:.1%}, "
            f"slots {result.slot_accuracy:.1%} ({len(result.misses)} messages missed)"
        )
    assert result.intent_accuracy >= TARGET, "\n".join(result.misses)
    assert result.slot_accuracy >= TARGET, "\n".join(result.misses)
