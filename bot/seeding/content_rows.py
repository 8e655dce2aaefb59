"""The content-owned rows, brought in line with `content/` on every run.

Every row is found by its stable key (a slug, a pair of ids) and updated in place, so seeding
twice changes nothing and an edited text changes one row. What cities report (a milestone's
status and percent) and what the bot did (sent reminders) is never reset.
"""

from __future__ import annotations

from datetime import timedelta

from bot.seeding.catalogue import Catalogue
from bot.seeding.organisations import OrganisationSpec
from bot.seeding.run import SeedRun, bilingual_columns
from db.enums import OrganisationKind, ReminderStatus
from db.models import (
    Competition,
    Deadline,
    Domain,
    FaqEntry,
    Material,
    Milestone,
    Organisation,
    OrganisationDomain,
    Plan,
    Reminder,
    Workshop,
    WorkshopSession,
)
from db.repositories.content import (
    Change,
    get_row,
    list_rows,
    set_organisation_domains,
    update_row,
)


async def seed_content_rows(run: SeedRun, catalogue: Catalogue) -> None:
    """Every content-owned row, in the order they refer to each other."""
    await seed_domains(run, catalogue)
    for organisation in catalogue.organisations:
        await seed_organisation(run, organisation)
    await seed_workshops(run, catalogue)
    await seed_faq(run, catalogue)
    await seed_plans(run, catalogue)
    await seed_competitions(run, catalogue)


async def seed_domains(run: SeedRun, catalogue: Catalogue) -> None:
    """The smart-city domains."""
    for spec in catalogue.domains:
        row = await run.upsert(
            Domain,
            {"slug": spec.slug},
            {
                **bilingual_columns(name=spec.name, description=spec.description),
                "position": spec.position,
            },
        )
        run.domain_ids[spec.slug] = row.id


async def seed_organisation(run: SeedRun, spec: OrganisationSpec) -> None:
    """One organisation and exactly the domains the content lists for it."""
    row = await run.upsert(
        Organisation,
        {"slug": spec.slug},
        {
            "kind": spec.kind,
            **bilingual_columns(name=spec.name, province=spec.province),
            "region": spec.region,
        },
    )
    run.organisation_ids[spec.slug] = row.id
    wanted = [run.domain_ids[slug] for slug in spec.domains]
    added, cut = await set_organisation_domains(
        session=run.session, organisation_id=row.id, domain_ids=wanted
    )
    for domain_id in wanted:
        change = Change.INSERTED if domain_id in added else Change.UNCHANGED
        run.tally.note(OrganisationDomain, (row.id, domain_id), change)
    if cut:  # a cut link has no row left to count; the organisation is what changed
        run.saw(row, Change.UPDATED)


async def seed_workshops(run: SeedRun, catalogue: Catalogue) -> None:
    """Workshops, their sessions and materials."""
    for spec in catalogue.workshops:
        workshop = await run.upsert(
            Workshop,
            {"slug": spec.slug},
            {
                **bilingual_columns(title=spec.title, venue=spec.venue),
                "held_on": spec.held_on,
                "partners": list(spec.partners),
            },
        )
        session_ids: dict[str, int] = {}
        for session_spec in spec.sessions:
            row = await run.upsert(
                WorkshopSession,
                {"workshop_id": workshop.id, "slug": session_spec.slug},
                {
                    **bilingual_columns(title=session_spec.title),
                    "position": session_spec.position,
                    "starts_at": session_spec.starts_at,
                },
            )
            session_ids[session_spec.slug] = row.id
        for material in spec.materials:
            await run.upsert(
                Material,
                {"slug": material.slug},
                {
                    "session_id": session_ids[material.session],
                    "domain_id": run.domain_ids[material.domain] if material.domain else None,
                    "kind": material.kind,
                    **bilingual_columns(title=material.title, summary=material.summary),
                    "url": material.url,
                    "tags": material.tags.merged(),
                    "position": material.position,
                },
            )


async def seed_faq(run: SeedRun, catalogue: Catalogue) -> None:
    """The frequently asked questions."""
    for spec in catalogue.faq:
        await run.upsert(
            FaqEntry,
            {"slug": spec.slug},
            {
                **bilingual_columns(question=spec.question, answer=spec.answer),
                "tags": spec.tags.merged(),
                "position": spec.position,
            },
        )


async def seed_plans(run: SeedRun, catalogue: Catalogue) -> None:
    """Every city's three plans with the template's milestones; progress is left alone."""
    cities = [org for org in catalogue.organisations if org.kind is OrganisationKind.CITY]
    for city in cities:
        for plan_spec in catalogue.plans:
            plan = await run.upsert(
                Plan,
                {"organisation_id": run.organisation_ids[city.slug], "kind": plan_spec.kind},
                bilingual_columns(title=plan_spec.title),
            )
            for milestone in plan_spec.milestones:
                await run.upsert(
                    Milestone,
                    {"plan_id": plan.id, "key": milestone.key},
                    {
                        "domain_id": run.domain_ids[milestone.domain]
                        if milestone.domain
                        else None,
                        **bilingual_columns(title=milestone.title),
                        "position": milestone.position,
                        "due_at": milestone.due_at,
                    },
                )


async def seed_competitions(run: SeedRun, catalogue: Catalogue) -> None:
    """Competitions, their stages as deadlines, and each deadline's reminders."""
    for spec in catalogue.competitions:
        competition = await run.upsert(
            Competition,
            {"slug": spec.slug},
            {
                **bilingual_columns(title=spec.title, description=spec.description),
                "rules_url": spec.rules_url,
            },
        )
        run.competition_ids[spec.slug] = competition.id
        for stage in spec.stages:
            deadline = await run.upsert(
                Deadline,
                {"competition_id": competition.id, "slug": stage.slug},
                {
                    **bilingual_columns(title=stage.title, description=stage.description),
                    "due_at": stage.due_at,
                    "position": stage.position,
                    "accepts_submissions": stage.accepts_submissions,
                },
            )
            await _seed_reminders(run, deadline, stage.reminder_offsets)


async def _seed_reminders(
    run: SeedRun, deadline: Deadline, offsets: tuple[timedelta, ...]
) -> None:
    """Unsent reminders follow their deadline; one already past is cancelled, not fired late.

    A reminder that went out stays as it was. An offset dropped from the content cancels its
    unsent reminder rather than deleting it, so the row still explains what happened.
    """
    wanted = [int(offset.total_seconds()) // 60 for offset in offsets]
    for minutes in wanted:
        key = {"deadline_id": deadline.id, "offset_minutes": minutes}
        existing = await get_row(session=run.session, model=Reminder, key=key)
        if existing is not None and existing.status is ReminderStatus.SENT:
            run.saw(existing, Change.UNCHANGED)
            continue
        remind_at = deadline.due_at - timedelta(minutes=minutes)
        status = ReminderStatus.PENDING if remind_at > run.now else ReminderStatus.CANCELLED
        await run.upsert(Reminder, key, {"remind_at": remind_at, "status": status})
    for stale in await list_rows(
        session=run.session, model=Reminder, key={"deadline_id": deadline.id}
    ):
        if stale.offset_minutes in wanted:
            continue
        changed = stale.status is ReminderStatus.PENDING and await update_row(
            session=run.session, row=stale, values={"status": ReminderStatus.CANCELLED}
        )
        run.saw(stale, Change.UPDATED if changed else Change.UNCHANGED)
