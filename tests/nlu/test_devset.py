"""Issue 15: the development set is understood at ≥ 95 % intent and slot accuracy."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.nlu.understanding import Understander
from bot.nlu.vocabulary import Intent
from tests.nlu.devset import DEVSET, HELDOUT, load_devset, score

TARGET = 0.95


def test_the_set_is_big_and_varied_enough() -> None:
    """At least 400 messages, every intent among them, no message twice."""
    labelled = load_devset()
    assert len(labelled) >= 400
    assert {item.intent for item in labelled} == {intent.value for intent in Intent}
    assert len({item.text for item in labelled}) == len(labelled)
    counts = Counter(item.intent for item in labelled)
    assert min(counts.values()) >= 15


@pytest.mark.parametrize("path", [DEVSET, HELDOUT], ids=["devset", "heldout"])
def test_accuracy_on_the_development_sets(
    understander: Understander, capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    """Both figures are reported, and both reach the target, on each set."""
    result = score(understander, load_devset(path))
    with capsys.disabled():
        print(
            f"\nNLU {path.name}: intent {result.intent_accuracy:.1%}, "
            f"slots {result.slot_accuracy:.1%} ({len(result.misses)} messages missed)"
        )
    assert result.intent_accuracy >= TARGET, "\n".join(result.misses)
    assert result.slot_accuracy >= TARGET, "\n".join(result.misses)
