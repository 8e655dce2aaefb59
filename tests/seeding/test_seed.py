"""`citybot seed` as a whole: one transaction, idempotent, and a report that says what it did."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.seeding import ContentError, run_seed
from bot.settings import DEFAULT_CONTENT_DIR
from db.models import Material, Milestone
from tests.conftest import Database
from tests.seeding.runs import BASE_URL, NOW, catalogue_of, seed, snapshot, table_counts


async def test_seeding_twice_gives_the_same_rows(database: Database) -> None:
    """A second seed (with demo data) inserts, updates and moves nothing, in any table."""
    catalogue = catalogue_of()
    first = await seed(database, catalogue, demo=True)
    counts = await table_counts(database)
    materials, milestones = await snapshot(database, Material), await snapshot(database, Milestone)

    second = await seed(database, catalogue, demo=True, now=NOW + timedelta(days=3))

    assert first.created and not first.updated
    assert (second.created, second.updated) == ({}, {})
    assert second.unchanged == first.created
    assert await table_counts(database) == counts
    assert await snapshot(database, Material) == materials
    assert await snapshot(database, Milestone) == milestones
    assert "0 rows created, 0 updated" in second.summary()


async def test_run_seed_commits_once_and_reports(database_url: str) -> None:
    """`run_seed` (what the CLI calls) commits; running it again inserts nothing."""
    first = await run_seed(
        database_url=database_url,
        content_dir=DEFAULT_CONTENT_DIR,
        materials_base_url=BASE_URL,
        demo=True,
    )
    second = await run_seed(
        database_url=database_url,
        content_dir=DEFAULT_CONTENT_DIR,
        materials_base_url=BASE_URL,
        demo=True,
    )

    assert first.counts == second.counts
    assert first.counts["organisations"] == 15 + 3  # with the demo partner firms
    assert "0 rows created, 0 updated" in second.summary()


async def test_broken_content_leaves_the_database_untouched(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    """A content error stops the seed before anything is written, naming the file and key."""
    content = Path(shutil.copytree(DEFAULT_CONTENT_DIR, tmp_path / "content"))
    (content / "faq.yaml").write_text("faq:\n  - slug: broken\n", encoding="utf-8")

    with pytest.raises(ContentError, match=r"faq\.yaml: faq\.broken\.question"):
        await run_seed(
            database_url=database_url,
            content_dir=content,
            materials_base_url=BASE_URL,
            demo=False,
        )

    assert set((await table_counts(database)).values()) == {0}


async def test_issue10_first_seed_reports_no_updates(database: Database) -> None:
    """On an empty database `seed --demo` creates every row it leaves and updates none."""
    report = await seed(database, catalogue_of(), demo=True)

    assert report.updated == {}
    assert report.unchanged == {}
    assert report.created == {table: count for table, count in report.counts.items() if count}
    total = sum(report.counts.values())
    assert report.summary().startswith(f"seeded: {total} rows created, 0 updated, 0 unchanged\n")
    assert "updated:" not in report.summary()


async def test_issue10_rerun_without_content_change_reports_all_unchanged(
    database: Database,
) -> None:
    """Seeding again with the same content creates and updates nothing; the rows are unchanged."""
    catalogue = catalogue_of()
    first = await seed(database, catalogue, demo=False)

    second = await seed(database, catalogue, demo=False, now=NOW + timedelta(hours=1))

    assert (second.created, second.updated) == ({}, {})
    assert second.unchanged == first.created
    assert second.summary().startswith(
        f"seeded: 0 rows created, 0 updated, {sum(first.created.values())} unchanged\n"
    )


async def test_issue10_demo_after_content_counts_each_moved_milestone_once(
    database: Database,
) -> None:
    """`seed --demo` after `seed` updates exactly the milestones demo reports move, each once."""
    catalogue = catalogue_of()
    await seed(database, catalogue, demo=False)

    report = await seed(database, catalogue, demo=True)

    members = {member.key: member.organisation for member in catalogue.demo.members}
    moved = {(members[spec.member], spec.milestone) for spec in catalogue.demo.progress}
    assert len(moved) < len(catalogue.demo.progress)  # some milestone gets two reports
    assert report.updated == {"milestones": len(moved)}
    assert report.created["progress_updates"] == len(catalogue.demo.progress)
    assert "  updated: milestones " in report.summary()
