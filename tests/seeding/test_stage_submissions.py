"""Issue 13: stages that take no submissions (`submissions: false`), read and re-seeded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.seeding import ContentError
from bot.settings import DEFAULT_CONTENT_DIR
from db.models import Deadline
from tests.conftest import Database
from tests.seeding.runs import catalogue_of, seed


async def accepting(database: Database) -> dict[str, bool]:
    """Each stage's slug and whether it takes submissions, as stored."""
    async with database.sessions() as session:
        rows = await session.execute(select(Deadline.slug, Deadline.accepts_submissions))
        return dict(rows.all())


def edit_stage(content: Path, slug: str, **fields: object) -> None:
    """Set fields of one stage in competitions.yaml."""
    path = content / "competitions.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    stage = next(s for s in document["competitions"][0]["stages"] if s["slug"] == slug)
    stage.update(fields)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")


async def test_pitching_and_results_take_no_submissions_and_reseeding_updates_it(
    database: Database, tmp_path: Path
) -> None:
    """The content marks pitching and results; a changed flag is updated on the next seed."""
    content = Path(shutil.copytree(DEFAULT_CONTENT_DIR, tmp_path / "content"))
    await seed(database, catalogue_of(content), demo=False)
    assert await accepting(database) == {
        "registration": True,
        "concept-note": True,
        "full-plan": True,
        "pitching": False,
        "results": False,
    }

    edit_stage(content, "pitching", submissions=True)
    edit_stage(content, "registration", submissions=False)
    report = await seed(database, catalogue_of(content), demo=False)

    flags = await accepting(database)
    assert (flags["pitching"], flags["registration"], flags["full-plan"]) == (True, False, True)
    assert report.updated == {"deadlines": 2}


def test_a_flag_that_is_not_true_or_false_is_named(tmp_path: Path) -> None:
    """`submissions: "no"` is refused at its stage, not read as a truthy string."""
    content = Path(shutil.copytree(DEFAULT_CONTENT_DIR, tmp_path / "content"))
    edit_stage(content, "concept-note", submissions="no")

    with pytest.raises(ContentError) as refused:
        catalogue_of(content)

    assert refused.value.file == "competitions.yaml"
    assert refused.value.key == "competitions.smart-city-plan-2027.stages.concept-note.submissions"
    assert "true or false" in refused.value.problem
