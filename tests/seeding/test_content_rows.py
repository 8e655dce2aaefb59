"""The content-owned rows: loaded from content/, brought in line with it, progress left alone."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot.settings import DEFAULT_CONTENT_DIR
from db.enums import MilestoneStatus, OrganisationKind, ReminderStatus
from db.models import Deadline, Material, Milestone, Reminder
from db.repositories.content import get_row, list_rows
from db.repositories.organisations import get_organisation, list_domains, list_organisations
from db.repositories.progress import list_milestones
from tests.conftest import Database
from tests.seeding.runs import NOW, catalogue_of, seed, snapshot, table_counts

DESIGN_SLUGS = {
    *("bangkok", "pattaya", "laem-chabang", "saen-suk", "phuket", "krabi", "songkhla"),
    *("khon-kaen", "nakhon-ratchasima", "ubon-ratchathani", "nakhon-si-thammarat", "yala"),
    *("chiang-mai", "phitsanulok", "depa"),
}


async def test_seed_loads_the_programme(database: Database) -> None:
    """15 organisations with the DESIGN slugs, 7 domains, ≥12 materials across all 7 domains."""
    report = await seed(database, catalogue_of(), demo=False)

    async with database.sessions() as session:
        organisations = await list_organisations(session=session)
        domains = await list_domains(session=session)
        materials = await list_rows(session=session, model=Material, key={})
        pattaya = await get_organisation(session=session, slug="pattaya")
        assert pattaya is not None
        milestones = await list_milestones(session=session, organisation_id=pattaya.id)

    assert {organisation.slug for organisation in organisations} == DESIGN_SLUGS
    assert (pattaya.kind, pattaya.province_en, pattaya.region) == (
        OrganisationKind.CITY,
        "Chon Buri",
        "east",
    )
    assert [domain.slug for domain in domains][:2] == ["environment", "economy"]
    assert len(domains) == 7
    assert len(materials) >= 12
    assert {material.domain_id for material in materials} >= {domain.id for domain in domains}
    assert all(material.url.startswith("https://") for material in materials)
    assert milestones[0].key == "pmc-established"
    assert milestones[0].status is MilestoneStatus.NOT_STARTED
    assert report.counts["organisations"] == 15
    assert report.counts["members"] == 0  # no demo people without --demo


async def test_edited_material_title_updates_its_row_and_adds_none(
    database: Database, tmp_path: Path
) -> None:
    """Editing a material's title in content/ changes that row on the next seed, nothing else."""
    content = Path(shutil.copytree(DEFAULT_CONTENT_DIR, tmp_path / "content"))
    await seed(database, catalogue_of(content), demo=True)
    counts = await table_counts(database)
    async with database.sessions() as session:
        before = await get_row(session=session, model=Material, key={"slug": "boi-incentives"})
    assert before is not None

    path = content / "workshops" / "framework-2018.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    material = next(item for item in document["materials"] if item["slug"] == "boi-incentives")
    material["title"]["en"] = "BOI tax incentives for smart-city investors"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    report = await seed(database, catalogue_of(content), demo=True)

    async with database.sessions() as session:
        after = await get_row(session=session, model=Material, key={"slug": "boi-incentives"})
    assert after is not None
    assert (after.id, after.title_th) == (before.id, before.title_th)
    assert after.title_en == "BOI tax incentives for smart-city investors"
    assert (report.created, report.updated) == ({}, {"materials": 1})
    assert await table_counts(database) == counts


async def test_moved_deadline_moves_its_unsent_reminders(
    database: Database, tmp_path: Path
) -> None:
    """A stage whose due time changes takes its pending reminders along; none are duplicated."""
    content = Path(shutil.copytree(DEFAULT_CONTENT_DIR, tmp_path / "content"))
    await seed(database, catalogue_of(content), demo=False)
    path = content / "competitions.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("due: 2027-04-30T16:30", "due: 2027-05-14T16:30"),
        encoding="utf-8",
    )

    await seed(database, catalogue_of(content), demo=False)

    async with database.sessions() as session:
        deadline = await get_row(session=session, model=Deadline, key={"slug": "concept-note"})
        assert deadline is not None
        reminders = await list_rows(
            session=session, model=Reminder, key={"deadline_id": deadline.id}
        )
    assert deadline.due_at == datetime(2027, 5, 14, 9, 30, tzinfo=UTC)
    assert sorted(reminder.remind_at for reminder in reminders) == [
        deadline.due_at - timedelta(days=days) for days in (14, 3, 1)
    ]


async def test_reminders_already_past_when_seeded_are_cancelled(database: Database) -> None:
    """Seeding late does not fire reminders whose moment has passed; the rest stay pending."""
    await seed(database, catalogue_of(), demo=False, now=datetime(2027, 2, 20, tzinfo=UTC))

    async with database.sessions() as session:
        deadline = await get_row(session=session, model=Deadline, key={"slug": "registration"})
        assert deadline is not None
        reminders = await list_rows(
            session=session, model=Reminder, key={"deadline_id": deadline.id}
        )
    by_offset = {reminder.offset_minutes // (24 * 60): reminder.status for reminder in reminders}
    assert by_offset == {
        14: ReminderStatus.CANCELLED,
        3: ReminderStatus.PENDING,
        1: ReminderStatus.PENDING,
    }


async def test_seeding_content_again_keeps_reported_progress(database: Database) -> None:
    """A plain seed after demo progress leaves every milestone's status and percent alone."""
    await seed(database, catalogue_of(), demo=True)
    milestones = await snapshot(database, Milestone)

    await seed(database, catalogue_of(), demo=False, now=NOW + timedelta(days=30))

    assert await snapshot(database, Milestone) == milestones
