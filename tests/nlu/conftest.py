"""One understander for the NLU tests: the lexicons take a second to load."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.understanding import Understander

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture(scope="session")
def understander() -> Understander:
    """The understander of the repository's content."""
    return Understander.from_content(CONTENT)
