"""Issue 11: `citybot serve` killed with SIGKILL three times under a stream of webhooks loses
nothing it acknowledged and answers each event once (duplicates bounded by what was in flight)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos import Plan, shake

pytestmark = pytest.mark.chaos


def test_issue11_chaos_three_kills_lose_nothing_and_answer_once(
    seeded_database_url: str, tmp_path: Path
) -> None:
    """Every acknowledged event has exactly one answer; at most the killed in-flight ones two."""
    report = shake(seeded_database_url, tmp_path, Plan(kills=3, seed=11))
    print(  # the figures, for whoever reads the log of a run
        f"chaos: acknowledged {report.acknowledged}, lost {len(report.lost)}, "
        f"duplicated {report.duplicates} {report.duplicated}, in flight at the kills "
        f"{[kill.in_flight for kill in report.kills]}, recovery "
        f"{report.recovery} s, posts {dict(report.statuses)}"
    )
    assert len(report.kills) == 3
    assert report.acknowledged > 0 and report.unacknowledged == 0
    assert report.drained, f"unanswered: {report.lost}; left unsettled: {dict(report.left)}"
    assert report.lost == []
    assert report.duplicates <= report.in_flight
