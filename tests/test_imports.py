"""Heavy imports run with the garbage collector paused, and it comes back as it was."""

from __future__ import annotations

import gc

import pytest

from bot.imports import collector_paused


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_paused_and_restored(enabled_before: bool) -> None:
    """Paused inside the block, even if it raises; afterwards exactly as it was."""
    (gc.enable if enabled_before else gc.disable)()
    seen_inside: list[bool] = []

    def failing_import() -> None:
        with collector_paused():
            seen_inside.append(gc.isenabled())
            raise ImportError("no such module")

    try:
        with pytest.raises(ImportError):
            failing_import()
        assert seen_inside == [False]
        assert gc.isenabled() is enabled_before
    finally:
        gc.enable()
