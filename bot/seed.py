"""`citybot seed`: bring the database in line with `content/`, as often as you like.

Every row is found by its stable key (a slug, an invite code, a demo member's simulator account)
and updated in place, so seeding twice changes nothing and an edited text changes one row.
What cities report (milestone status, sent reminders) is never reset by seeding again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue import Bilingual, Catalogue, OrganisationSpec, load_catalogue
from db.base import Base, utcnow
from db.enums import Channel, OfferStatus, OrganisationKind, ReminderStatus
from db.models import (
    Competition,
    CompetitionEntry,
    Consent,
    Deadline,
    Domain,
    FaqEntry,
    Identity,
    Invite,
    Material,
    Member,
    Milestone,
    Organisation,
    OrganisationDomain,
    PartnershipInterest,
    PartnershipOffer,
    Plan,
    ProgressUpdate,
    Reminder,
    Workshop,
    WorkshopSession,
)
from db.repositories.accounts import register_member
from db.repositories.content import (
    Change,
    count_rows,
    get_row,
    list_rows,
    set_organisation_domains,
    update_row,
    upsert_row,
)
from db.repositories.identities import ensure_identity, get_identity
from db.repositories.members import get_member, update_member
from db.repositories.progress import find_progress_update, get_milestone, record_progress
from db.session import create_engine, create_session_factory

ModelT = TypeVar("ModelT", bound=Base)

# The tables seeding writes, in the order the report lists them.
SEEDED_MODELS: tuple[type[Base], ...] = (
    Domain,
    Organisation,
    OrganisationDomain,
    Workshop,
    WorkshopSession,
    Material,
    FaqEntry,
    Plan,
    Milestone,
    Competition,
    Deadline,
    Reminder,
    Member,
    Identity,
    Consent,
    Invite,
    ProgressUpdate,
    PartnershipOffer,
    PartnershipInterest,
    CompetitionEntry,
)


@dataclass(frozen=True)
class SeedReport:
    """What a seed left behind: rows per table, and how many it inserted or updated."""

    counts: dict[str, int]
    inserted: dict[str, int]
    updated: dict[str, int]

    def summary(self) -> str:
        """One line for the operator."""
        tables = ", ".join(f"{name} {count}" for name, count in self.counts.items())
        return (
            f"seeded: {sum(self.inserted.values())} rows inserted, "
            f"{sum(self.updated.values())} updated; now {tables}"
        )


def _bilingual_columns(**texts: Bilingual[str] | None) -> dict[str, str | None]:
    """Each text as the `<name>_th` and `<name>_en` columns every bilingual model has."""
    columns: dict[str, str | None] = {}
    for name, text in texts.items():
        columns[f"{name}_th"] = None if text is None else text.th
        columns[f"{name}_en"] = None if text is None else text.en
    return columns


class _Seeder:
    """One seeding run: the session, the time, ids by slug, and a tally of changes."""

    def __init__(self, *, session: AsyncSession, catalogue: Catalogue, now: datetime) -> None:
        self.session = session
        self.catalogue = catalogue
        self.now = now
        self.changes: Counter[tuple[str, Change]] = Counter()
        self.domain_ids: dict[str, int] = {}
        self.organisation_ids: dict[str, int] = {}
        self.member_ids: dict[str, int] = {}
        self.competition_ids: dict[str, int] = {}

    def tally(self, model: type[Base], change: Change, times: int = 1) -> None:
        """Count a change to a row of `model`."""
        if change is not Change.UNCHANGED and times > 0:
            self.changes[(str(model.__tablename__), change)] += times

    def tables(self, change: Change) -> dict[str, int]:
        """How many rows of each table saw `change`."""
        return {table: count for (table, kind), count in self.changes.items() if kind is change}

    def tally_update(self, model: type[Base], changed: bool) -> None:
        """Count an update to a row of `model`, unless it found nothing to change."""
        self.tally(model, Change.UPDATED if changed else Change.UNCHANGED)

    async def upsert(
        self,
        model: type[ModelT],
        key: dict[str, Any],
        values: dict[str, Any],
        on_insert: dict[str, Any] | None = None,
    ) -> ModelT:
        """Insert or update one row and tally what happened."""
        row, change = await upsert_row(
            session=self.session, model=model, key=key, values=values, on_insert=on_insert
        )
        self.tally(model, change)
        return row

    # --- content ---------------------------------------------------------------------------

    async def domains(self) -> None:
        """The smart-city domains."""
        for spec in self.catalogue.domains:
            row = await self.upsert(
                Domain,
                {"slug": spec.slug},
                {
                    **_bilingual_columns(name=spec.name, description=spec.description),
                    "position": spec.position,
                },
            )
            self.domain_ids[spec.slug] = row.id

    async def organisation(self, spec: OrganisationSpec) -> None:
        """One organisation and exactly the domains the content lists for it."""
        row = await self.upsert(
            Organisation,
            {"slug": spec.slug},
            {
                "kind": spec.kind,
                **_bilingual_columns(name=spec.name, province=spec.province),
                "region": spec.region,
            },
        )
        self.organisation_ids[spec.slug] = row.id
        added, cut = await set_organisation_domains(
            session=self.session,
            organisation_id=row.id,
            domain_ids=[self.domain_ids[slug] for slug in spec.domains],
        )
        self.tally(OrganisationDomain, Change.INSERTED, added)
        # A cut link has no row left to count; the organisation is what changed.
        self.tally(Organisation, Change.UPDATED, cut)

    async def workshops(self) -> None:
        """Workshops, their sessions and materials."""
        for spec in self.catalogue.workshops:
            workshop = await self.upsert(
                Workshop,
                {"slug": spec.slug},
                {
                    **_bilingual_columns(title=spec.title, venue=spec.venue),
                    "held_on": spec.held_on,
                    "partners": list(spec.partners),
                },
            )
            session_ids: dict[str, int] = {}
            for session_spec in spec.sessions:
                row = await self.upsert(
                    WorkshopSession,
                    {"workshop_id": workshop.id, "slug": session_spec.slug},
                    {
                        **_bilingual_columns(title=session_spec.title),
                        "position": session_spec.position,
                        "starts_at": session_spec.starts_at,
                    },
                )
                session_ids[session_spec.slug] = row.id
            for material in spec.materials:
                await self.upsert(
                    Material,
                    {"slug": material.slug},
                    {
                        "session_id": session_ids[material.session],
                        "domain_id": self.domain_ids[material.domain] if material.domain else None,
                        "kind": material.kind,
                        **_bilingual_columns(title=material.title, summary=material.summary),
                        "url": material.url,
                        "tags": material.tags.merged(),
                        "position": material.position,
                    },
                )

    async def faq(self) -> None:
        """The frequently asked questions."""
        for spec in self.catalogue.faq:
            await self.upsert(
                FaqEntry,
                {"slug": spec.slug},
                {
                    **_bilingual_columns(question=spec.question, answer=spec.answer),
                    "tags": spec.tags.merged(),
                    "position": spec.position,
                },
            )

    async def plans(self) -> None:
        """Every city's three plans with the template's milestones; progress is left alone."""
        cities = [org for org in self.catalogue.organisations if org.kind is OrganisationKind.CITY]
        for city in cities:
            for plan_spec in self.catalogue.plans:
                plan = await self.upsert(
                    Plan,
                    {"organisation_id": self.organisation_ids[city.slug], "kind": plan_spec.kind},
                    _bilingual_columns(title=plan_spec.title),
                )
                for milestone in plan_spec.milestones:
                    await self.upsert(
                        Milestone,
                        {"plan_id": plan.id, "key": milestone.key},
                        {
                            "domain_id": (
                                self.domain_ids[milestone.domain] if milestone.domain else None
                            ),
                            **_bilingual_columns(title=milestone.title),
                            "position": milestone.position,
                            "due_at": milestone.due_at,
                        },
                    )

    async def competitions(self) -> None:
        """Competitions, their stages as deadlines, and each deadline's reminders."""
        for spec in self.catalogue.competitions:
            competition = await self.upsert(
                Competition,
                {"slug": spec.slug},
                {
                    **_bilingual_columns(title=spec.title, description=spec.description),
                    "rules_url": spec.rules_url,
                },
            )
            self.competition_ids[spec.slug] = competition.id
            for stage in spec.stages:
                deadline = await self.upsert(
                    Deadline,
                    {"competition_id": competition.id, "slug": stage.slug},
                    {
                        **_bilingual_columns(title=stage.title, description=stage.description),
                        "due_at": stage.due_at,
                        "position": stage.position,
                    },
                )
                await self.reminders(deadline, stage.reminder_offsets)

    async def reminders(self, deadline: Deadline, offsets: tuple[timedelta, ...]) -> None:
        """Unsent reminders follow their deadline; one already past is cancelled, not fired late.

        A reminder that went out stays as it was. An offset dropped from the content cancels its
        unsent reminder rather than deleting it, so the row still explains what happened.
        """
        wanted = [int(offset.total_seconds()) // 60 for offset in offsets]
        for minutes in wanted:
            key = {"deadline_id": deadline.id, "offset_minutes": minutes}
            existing = await get_row(session=self.session, model=Reminder, key=key)
            if existing is not None and existing.status is ReminderStatus.SENT:
                continue
            remind_at = deadline.due_at - timedelta(minutes=minutes)
            status = ReminderStatus.PENDING if remind_at > self.now else ReminderStatus.CANCELLED
            await self.upsert(Reminder, key, {"remind_at": remind_at, "status": status})
        for stale in await list_rows(
            session=self.session, model=Reminder, key={"deadline_id": deadline.id}
        ):
            if stale.offset_minutes not in wanted and stale.status is ReminderStatus.PENDING:
                changed = await update_row(
                    session=self.session, row=stale, values={"status": ReminderStatus.CANCELLED}
                )
                self.tally_update(Reminder, changed)

    # --- demo ------------------------------------------------------------------------------

    async def demo_members(self) -> None:
        """Demo people, registered as a real person would be: identity, member, consent."""
        for spec in self.catalogue.demo.members:
            organisation_id = self.organisation_ids[spec.organisation]
            identity = await get_identity(
                session=self.session, channel=Channel.SIMULATOR, external_id=spec.external_id
            )
            member = None
            if identity is not None and identity.member_id is not None:
                member = await get_member(session=self.session, member_id=identity.member_id)
            if identity is None:
                identity, _created = await ensure_identity(
                    session=self.session,
                    channel=Channel.SIMULATOR,
                    external_id=spec.external_id,
                    language=spec.language,
                    now=self.now,
                )
                self.tally(Identity, Change.INSERTED)
            if member is None:
                member = await register_member(
                    session=self.session,
                    identity=identity,
                    organisation_id=organisation_id,
                    role=spec.role,
                    display_name=spec.display_name,
                    language=spec.language,
                    now=self.now,
                )
                self.tally(Member, Change.INSERTED)
                self.tally(Consent, Change.INSERTED)
            else:
                changed = await update_member(
                    session=self.session,
                    member=member,
                    organisation_id=organisation_id,
                    role=spec.role,
                    display_name=spec.display_name,
                    language=spec.language,
                )
                self.tally_update(Member, changed)
            changed = await update_row(
                session=self.session,
                row=identity,
                values={"display_name": spec.display_name, "language": spec.language},
            )
            self.tally_update(Identity, changed)
            self.member_ids[spec.key] = member.id

    async def demo_invites(self) -> None:
        """Invites with fixed codes; their uses and expiry belong to them once created."""
        for spec in self.catalogue.demo.invites:
            await self.upsert(
                Invite,
                {"code": spec.code},
                {
                    "organisation_id": self.organisation_ids[spec.organisation],
                    "role": spec.role,
                    "max_uses": spec.max_uses,
                    "note": spec.note,
                },
                on_insert={"uses": 0, "expires_at": self.now + spec.valid_for},
            )

    async def demo_progress(self) -> None:
        """Demo reports, each added once; the milestone moves to the newest of them."""
        members = {spec.key: spec for spec in self.catalogue.demo.members}
        for spec in self.catalogue.demo.progress:
            organisation_id = self.organisation_ids[members[spec.member].organisation]
            milestone = await get_milestone(
                session=self.session, organisation_id=organisation_id, key=spec.milestone
            )
            if milestone is None:  # the catalogue checked the key; plans were seeded above
                raise LookupError(f"milestone {spec.milestone!r} missing after seeding plans")
            member_id = self.member_ids[spec.member]
            existing = await find_progress_update(
                session=self.session,
                milestone_id=milestone.id,
                member_id=member_id,
                note=spec.note,
            )
            if existing is not None:
                continue
            reported_at = self.now - spec.age
            await record_progress(
                session=self.session,
                milestone=milestone,
                member_id=member_id,
                status=spec.status,
                percent=spec.percent,
                note=spec.note,
                evidence_url=spec.evidence_url,
                channel=Channel.SIMULATOR,
                reported_at=reported_at,
            )
            self.tally(ProgressUpdate, Change.INSERTED)
            moved = milestone.last_update_at == reported_at
            self.tally_update(Milestone, moved)

    async def demo_partnerships(self) -> None:
        """Offers, interests and competition entries; their status is theirs once created."""
        demo = self.catalogue.demo
        offer_ids: dict[str, int] = {}
        for offer in demo.offers:
            row = await self.upsert(
                PartnershipOffer,
                {
                    "organisation_id": self.organisation_ids[offer.organisation],
                    "title": offer.title,
                },
                {
                    "domain_id": self.domain_ids[offer.domain],
                    "created_by_member_id": (
                        self.member_ids[offer.created_by] if offer.created_by else None
                    ),
                    "description": offer.description,
                    "url": offer.url,
                },
                on_insert={"status": OfferStatus.OPEN},
            )
            offer_ids[offer.key] = row.id
        for interest in demo.interests:
            await self.upsert(
                PartnershipInterest,
                {
                    "offer_id": offer_ids[interest.offer],
                    "organisation_id": self.organisation_ids[interest.organisation],
                },
                {
                    "member_id": self.member_ids[interest.member] if interest.member else None,
                    "note": interest.note,
                },
                on_insert={"status": interest.status},
            )
        for entry in demo.entries:
            await self.upsert(
                CompetitionEntry,
                {
                    "competition_id": self.competition_ids[entry.competition],
                    "organisation_id": self.organisation_ids[entry.organisation],
                },
                {},
            )


async def seed_content(
    *, session: AsyncSession, catalogue: Catalogue, demo: bool, now: datetime
) -> SeedReport:
    """Upsert the catalogue (and with `demo`, the demo data) in `session`; the caller commits."""
    seeder = _Seeder(session=session, catalogue=catalogue, now=now)
    await seeder.domains()
    for organisation in catalogue.organisations:
        await seeder.organisation(organisation)
    await seeder.workshops()
    await seeder.faq()
    await seeder.plans()
    await seeder.competitions()
    if demo:
        for partner in catalogue.demo.partners:
            await seeder.organisation(partner)
        await seeder.demo_members()
        await seeder.demo_invites()
        await seeder.demo_progress()
        await seeder.demo_partnerships()
    await session.flush()
    counts = await count_rows(session=session, models=SEEDED_MODELS)
    return SeedReport(
        counts=counts,
        inserted=seeder.tables(Change.INSERTED),
        updated=seeder.tables(Change.UPDATED),
    )


async def run_seed(
    *, database_url: str, content_dir: Path, materials_base_url: str, demo: bool
) -> SeedReport:
    """Check `content_dir`, then seed the database in one transaction (all of it or nothing)."""
    catalogue = load_catalogue(content_dir, materials_base_url=materials_base_url)
    engine = create_engine(database_url)
    try:
        sessions = create_session_factory(engine)
        async with sessions() as session, session.begin():
            return await seed_content(
                session=session, catalogue=catalogue, demo=demo, now=utcnow()
            )
    finally:
        await engine.dispose()
