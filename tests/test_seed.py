"""`citybot seed` loads content/ idempotently, and `--demo` leaves a living programme behind."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.catalogue import Catalogue, ContentError, load_catalogue
from bot.seed import SeedReport, run_seed, seed_content
from bot.settings import DEFAULT_CONTENT_DIR
from db.base import Base
from db.enums import (
    Channel,
    MilestoneStatus,
    OrganisationKind,
    ReminderStatus,
    Role,
)
from db.models import (
    CompetitionEntry,
    Consent,
    Deadline,
    Material,
    Milestone,
    PartnershipInterest,
    Reminder,
)
from db.repositories.content import count_rows, get_row, list_rows
from db.repositories.identities import get_identity
from db.repositories.invites import get_invite, invite_usable, redeem_invite
from db.repositories.members import get_member
from db.repositories.organisations import get_organisation, list_domains, list_organisations
from db.repositories.progress import get_milestone, list_milestones, list_progress_updates
from tests.conftest import Database

BASE_URL = "https://materials.test/citybot"
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
DESIGN_SLUGS = {
    *("bangkok", "pattaya", "laem-chabang", "saen-suk", "phuket", "krabi", "songkhla"),
    *("khon-kaen", "nakhon-ratchasima", "ubon-ratchathani", "nakhon-si-thammarat", "yala"),
    *("chiang-mai", "phitsanulok", "depa"),
}
EVERY_MODEL = [mapper.class_ for mapper in Base.registry.mappers]


def catalogue_of(content: Path = DEFAULT_CONTENT_DIR) -> Catalogue:
    """The catalogue of a content directory, with the test base URL."""
    return load_catalogue(content, materials_base_url=BASE_URL)


async def seed(
    database: Database, catalogue: Catalogue, *, demo: bool, now: datetime = NOW
) -> SeedReport:
    """One seeding run in its own committed transaction, as `citybot seed` does."""
    async with database.sessions() as session, session.begin():
        return await seed_content(session=session, catalogue=catalogue, demo=demo, now=now)


async def table_counts(database: Database) -> dict[str, int]:
    """Rows in every table of the schema."""
    async with database.sessions() as session:
        return await count_rows(session=session, models=EVERY_MODEL)


async def snapshot(database: Database, model: type[Base]) -> list[tuple[Any, ...]]:
    """Each row of `model` as (id, updated_at, every column value), to see that nothing moved."""
    async with database.sessions() as session:
        rows = await list_rows(session=session, model=model, key={})
        columns = [column.key for column in model.__table__.columns]
        return [tuple(getattr(row, column) for column in columns) for row in rows]


async def test_seeding_twice_gives_the_same_rows(database: Database) -> None:
    """A second seed (with demo data) inserts, updates and moves nothing, in any table."""
    catalogue = catalogue_of()
    first = await seed(database, catalogue, demo=True)
    counts = await table_counts(database)
    materials, milestones = await snapshot(database, Material), await snapshot(database, Milestone)

    second = await seed(database, catalogue, demo=True, now=NOW + timedelta(days=3))

    assert first.inserted and not first.updated.get("materials")
    assert (second.inserted, second.updated) == ({}, {})
    assert await table_counts(database) == counts
    assert await snapshot(database, Material) == materials
    assert await snapshot(database, Milestone) == milestones
    assert "0 rows inserted, 0 updated" in second.summary()


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
    assert (report.inserted, report.updated) == ({}, {"materials": 1})
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


async def test_demo_members_are_registered_with_identity_and_consent(database: Database) -> None:
    """Each demo person has a simulator identity `demo-<key>`, a member and accepted consent."""
    catalogue = catalogue_of()
    await seed(database, catalogue, demo=True)

    async with database.sessions() as session:
        for spec in catalogue.demo.members:
            identity = await get_identity(
                session=session, channel=Channel.SIMULATOR, external_id=f"demo-{spec.key}"
            )
            assert identity is not None and identity.member_id is not None, spec.key
            member = await get_member(session=session, member_id=identity.member_id)
            assert member is not None
            organisation = await get_organisation(session=session, slug=spec.organisation)
            assert organisation is not None
            assert (member.organisation_id, member.role, member.display_name) == (
                organisation.id,
                spec.role,
                spec.display_name,
            )
            consents = await list_rows(
                session=session, model=Consent, key={"member_id": member.id}
            )
            assert [(c.accepted, c.policy_version) for c in consents] == [(True, "2026-11")]
    roles = {spec.role for spec in catalogue.demo.members}
    assert roles == {Role.EXECUTIVE, Role.OFFICER, Role.PARTNER, Role.COORDINATOR, Role.ADMIN}


async def test_demo_invites_are_usable(database: Database) -> None:
    """The fixed demo codes exist, are valid for years and can be redeemed."""
    catalogue = catalogue_of()
    await seed(database, catalogue, demo=True)
    later = NOW + timedelta(days=365)

    async with database.sessions() as session, session.begin():
        for spec in catalogue.demo.invites:
            invite = await get_invite(session=session, code=spec.code.lower())
            assert invite is not None, spec.code
            assert invite_usable(invite, now=later)
            assert invite.role is spec.role
        coordinator = await get_invite(session=session, code="DEPACRD8")
        assert coordinator is not None
        assert await redeem_invite(session=session, invite=coordinator, now=NOW)
        assert coordinator.uses == 1


async def test_demo_progress_is_visible_on_the_milestones(database: Database) -> None:
    """Demo reports are stored and each milestone shows its newest report's status and percent."""
    await seed(database, catalogue_of(), demo=True)

    async with database.sessions() as session:
        pattaya = await get_organisation(session=session, slug="pattaya")
        khon_kaen = await get_organisation(session=session, slug="khon-kaen")
        assert pattaya is not None and khon_kaen is not None
        area_plan = await get_milestone(
            session=session, organisation_id=pattaya.id, key="area-plan-drafted"
        )
        assert area_plan is not None
        reports = await list_progress_updates(session=session, milestone_id=area_plan.id)
        done = await get_milestone(
            session=session, organisation_id=khon_kaen.id, key="area-plan-drafted"
        )
        entries = await list_rows(session=session, model=CompetitionEntry, key={})
        interests = await list_rows(session=session, model=PartnershipInterest, key={})

    assert (area_plan.status, area_plan.percent) == (MilestoneStatus.IN_PROGRESS, 60)
    assert [report.percent for report in reports] == [60, 30]
    assert area_plan.last_update_at == reports[0].reported_at == NOW - timedelta(days=5)
    assert all(report.channel is Channel.SIMULATOR for report in reports)
    assert done is not None
    assert (done.status, done.percent) == (MilestoneStatus.DONE, 100)
    assert len(entries) == 3
    assert len(interests) == 3


async def test_seeding_content_again_keeps_reported_progress(database: Database) -> None:
    """A plain seed after demo progress leaves every milestone's status and percent alone."""
    await seed(database, catalogue_of(), demo=True)
    milestones = await snapshot(database, Milestone)

    await seed(database, catalogue_of(), demo=False, now=NOW + timedelta(days=30))

    assert await snapshot(database, Milestone) == milestones


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
    assert "0 rows inserted, 0 updated" in second.summary()


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
