"""The demo rows of `seed --demo`: created once, then left as the people using them made them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.seeding import run_seed
from bot.settings import DEFAULT_CONTENT_DIR
from db.enums import Channel, Language, MemberStatus, MilestoneStatus, OfferStatus, Role
from db.models import (
    CompetitionEntry,
    Consent,
    Identity,
    Invite,
    Member,
    Milestone,
    PartnershipInterest,
    PartnershipOffer,
    ProgressUpdate,
)
from db.repositories.content import list_rows
from db.repositories.identities import get_identity
from db.repositories.invites import get_invite, invite_usable, redeem_invite, revoke_invite
from db.repositories.members import get_member
from db.repositories.organisations import get_organisation
from db.repositories.progress import get_milestone, list_progress_updates, record_progress
from tests.chatdriver import ChatDriver
from tests.conftest import Database
from tests.seeding.runs import BASE_URL, NOW, catalogue_of, seed, snapshot, table_counts

# The rows people own once the demo made them: a re-seed must leave every one as it is.
PEOPLES_ROWS = (
    Member,
    Identity,
    Consent,
    Invite,
    ProgressUpdate,
    Milestone,
    PartnershipOffer,
    PartnershipInterest,
    CompetitionEntry,
)


async def demo_member(session: AsyncSession, key: str) -> Member:
    """The member behind the demo persona `demo-<key>`."""
    identity = await get_identity(
        session=session, channel=Channel.SIMULATOR, external_id=f"demo-{key}"
    )
    assert identity is not None and identity.member_id is not None, key
    member = await get_member(session=session, member_id=identity.member_id)
    assert member is not None
    return member


async def seed_demo(database: Database) -> None:
    """`citybot seed --demo` on the test database, as `make run` does at every start."""
    await run_seed(
        database_url=database.url,
        content_dir=DEFAULT_CONTENT_DIR,
        materials_base_url=BASE_URL,
        demo=True,
    )


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


async def test_issue10_reseed_keeps_a_language_changed_in_chat(
    seeded_database: Database, new_chat: Callable[..., ChatDriver]
) -> None:
    """A demo member who chose English with /lang en still has English after `seed --demo`."""
    await seed_demo(seeded_database)
    officer = new_chat("demo-khon-kaen-officer", channel=Channel.SIMULATOR)
    await officer.send("/lang en")

    await seed_demo(seeded_database)

    async with seeded_database.sessions() as session:
        member = await demo_member(session, "khon-kaen-officer")
        identity = await get_identity(
            session=session, channel=Channel.SIMULATOR, external_id="demo-khon-kaen-officer"
        )
    assert member.language is Language.EN
    assert identity is not None and identity.language is Language.EN
    await officer.send("/whoami")
    assert "Organisation: Khon Kaen" in officer.text


async def test_issue10_reseed_does_not_bring_back_an_erased_demo_member(
    seeded_database: Database, new_chat: Callable[..., ChatDriver]
) -> None:
    """A demo member erased with /forget stays erased: no new member, account or reports."""
    await seed_demo(seeded_database)
    officer = new_chat("demo-phuket-officer", channel=Channel.SIMULATOR)
    await officer.send("/forget")
    await officer.choose("Erase my data")
    counts = await table_counts(seeded_database)

    await seed_demo(seeded_database)

    async with seeded_database.sessions() as session:
        identity = await get_identity(
            session=session, channel=Channel.SIMULATOR, external_id="demo-phuket-officer"
        )
        erased = await session.scalar(
            select(func.count()).select_from(Member).where(Member.status == MemberStatus.ERASED)
        )
    assert identity is None
    assert erased == 1
    assert await table_counts(seeded_database) == counts


async def test_issue10_reseed_keeps_what_people_changed_in_demo_rows(database: Database) -> None:
    """Names, roles, invite uses and revocations, offers, entries, progress survive a re-seed."""
    catalogue = catalogue_of()
    await seed(database, catalogue, demo=True)
    async with database.sessions() as session, session.begin():
        officer = await demo_member(session, "khon-kaen-officer")
        officer.display_name = "Arunee S."
        officer.role = Role.EXECUTIVE  # promoted by an administrator
        officer.language = Language.EN
        coordinator = await get_invite(session=session, code="DEPACRD8")
        assert coordinator is not None
        assert await redeem_invite(session=session, invite=coordinator, now=NOW)
        assert await revoke_invite(session=session, code="PARTNER2", now=NOW)
        for offer in await list_rows(session=session, model=PartnershipOffer, key={}):
            offer.status = OfferStatus.CLOSED
            offer.description = "Taken down by the firm."
        entry = await session.scalar(select(CompetitionEntry).limit(1))
        await session.delete(entry)  # the city withdrew
        khon_kaen = await get_organisation(session=session, slug="khon-kaen")
        assert khon_kaen is not None
        milestone = await get_milestone(
            session=session, organisation_id=khon_kaen.id, key="area-plan-drafted"
        )
        assert milestone is not None
        await record_progress(
            session=session,
            milestone=milestone,
            member_id=officer.id,
            status=MilestoneStatus.BLOCKED,
            percent=90,
            note="Waiting for the governor's signature.",
            evidence_url=None,
            channel=Channel.SIMULATOR,
            reported_at=NOW + timedelta(days=1),
        )
    before = [await snapshot(database, model) for model in PEOPLES_ROWS]

    report = await seed(database, catalogue, demo=True, now=NOW + timedelta(days=30))

    assert [await snapshot(database, model) for model in PEOPLES_ROWS] == before
    assert (report.created, report.updated) == ({}, {})
    async with database.sessions() as session:
        officer = await demo_member(session, "khon-kaen-officer")
        coordinator = await get_invite(session=session, code="DEPACRD8")
        partner = await get_invite(session=session, code="PARTNER2")
        milestone = await session.get(Milestone, milestone.id)
    assert (officer.display_name, officer.role, officer.language) == (
        "Arunee S.",
        Role.EXECUTIVE,
        Language.EN,
    )
    assert coordinator is not None and coordinator.uses == 1
    assert partner is not None and not invite_usable(partner, now=NOW)
    assert milestone is not None
    assert (milestone.status, milestone.percent) == (MilestoneStatus.BLOCKED, 90)
