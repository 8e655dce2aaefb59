"""The lexicons of content/nlu/ are checked at load: every mistake is one line naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.nlu.lexicon import load_lexicon
from bot.nlu.vocabulary import SlotKind
from bot.seeding import ContentError
from tests.nlu.conftest import CONTENT


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the content to spoil."""
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


def test_the_repository_lexicons_load() -> None:
    """Every milestone, domain, stage and city has words; every word means one thing."""
    lexicon = load_lexicon(CONTENT)
    named = {(p.kind, p.value) for p in lexicon.slots}
    assert {v for k, v in named if k == SlotKind.MILESTONE} >= {"pmc-established"}
    assert len({v for k, v in named if k == SlotKind.DOMAIN}) == 7
    assert len({v for k, v in named if k == SlotKind.ORG}) == 14
    assert len({v for k, v in named if k == SlotKind.STAGE}) == 5


def spoil(content: Path, name: str, old: str, new: str) -> None:
    """Replace `old` by `new` in one lexicon file."""
    path = content / "nlu" / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (
            "milestones.yaml",
            "key: pmc-established",
            "key: pmc-made",
            "unknown milestone 'pmc-made'",
        ),
        ("places.yaml", "slug: yala", "slug: atlantis", "unknown org 'atlantis'"),
        ("places.yaml", "th: [ยะลา]", "th: [ภูเก็ต]", "means both"),
        ("intents.yaml", "  - intent: thanks", "  - intent: thank", "unknown intent 'thank'"),
        ("statuses.yaml", "    words:", "    wordz:", "unknown field"),
    ],
)
def test_mistakes_are_one_line(content: Path, name: str, old: str, new: str, message: str) -> None:
    """An unknown key, a word with two meanings, a misspelt field: one clear error."""
    spoil(content, name, old, new)
    with pytest.raises(ContentError) as raised:
        load_lexicon(content)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert "nlu/" in str(raised.value)
