"""The demo rows of `seed --demo`: made the first time, then left to the people who use them.

`make run` seeds the demo every time it starts, so a demo member who switched to English, used
an invite or reported progress must find it so after the next start; and one erased with /forget
stays erased. Each row is created once and marked (see `SeedRun.once`); the demo's partner firms
are organisations, which belong to the content and are brought in line like the others.
"""

from __future__ import annotations

from bot.seeding.catalogue import Catalogue
from bot.seeding.content_rows import seed_organisation
from bot.seeding.demo import DemoMemberSpec, DemoSpec
from bot.seeding.run import SeedRun
from db.enums import Channel, MemberStatus, OfferStatus
from db.models import (
    CompetitionEntry,
    Invite,
    Member,
    OfferDomain,
    PartnershipInterest,
    PartnershipOffer,
)
from db.repositories.accounts import consents_of, register_member
from db.repositories.content import Change, upsert_row
from db.repositories.identities import ensure_identity, get_identity, list_member_identities
from db.repositories.members import get_member
from db.repositories.progress import find_progress_update, get_milestone, record_progress


async def seed_demo_rows(run: SeedRun, catalogue: Catalogue) -> None:
    """The demo's partner firms, people, invites, progress and partnerships."""
    demo = catalogue.demo
    for partner in demo.partners:
        await seed_organisation(run, partner)
    for member in demo.members:
        await _seed_member(run, member)
    for invite in demo.invites:
        await run.create_once(
            Invite,
            invite.code,
            {"code": invite.code},
            {
                "organisation_id": run.organisation_ids[invite.organisation],
                "role": invite.role,
                "max_uses": invite.max_uses,
                "note": invite.note,
                "uses": 0,
                "expires_at": run.now + invite.valid_for,
            },
        )
    await _seed_progress(run, demo)
    await _seed_partnerships(run, demo)


async def _seed_member(run: SeedRun, spec: DemoMemberSpec) -> None:
    """A demo person, registered as a real person would be: identity, member, consent."""

    async def find() -> Member | None:
        identity = await get_identity(
            session=run.session, channel=Channel.SIMULATOR, external_id=spec.external_id
        )
        if identity is None or identity.member_id is None:
            return None
        return await get_member(session=run.session, member_id=identity.member_id)

    async def register() -> Member:
        identity, created = await ensure_identity(
            session=run.session,
            channel=Channel.SIMULATOR,
            external_id=spec.external_id,
            language=spec.language,
            now=run.now,
        )
        if created:
            run.saw(identity, Change.INSERTED)
        member = await register_member(
            session=run.session,
            identity=identity,
            organisation_id=run.organisation_ids[spec.organisation],
            role=spec.role,
            display_name=spec.display_name,
            language=spec.language,
            now=run.now,
        )
        for consent in await consents_of(session=run.session, member_id=member.id):
            run.saw(consent, Change.INSERTED)
        return member

    member = await run.once(Member, spec.key, find=find, create=register)
    if member is None:
        return
    identities = await list_member_identities(session=run.session, member_id=member.id)
    for row in (*identities, *await consents_of(session=run.session, member_id=member.id)):
        run.saw(row, Change.UNCHANGED)  # the rest of the registration, as it is now
    if member.status is MemberStatus.ACTIVE:
        run.member_ids[spec.key] = member.id


async def _seed_progress(run: SeedRun, demo: DemoSpec) -> None:
    """Demo reports, each added once; the milestone moves to the newest of them.

    A report made after a demo one is newer and stays the milestone's state; a member who is
    gone (erased) reports nothing more.
    """
    members = {spec.key: spec for spec in demo.members}
    for spec in demo.progress:
        member_id = run.member_id(spec.member)
        if member_id is None:
            continue
        organisation_id = run.organisation_ids[members[spec.member].organisation]
        milestone = await get_milestone(
            session=run.session, organisation_id=organisation_id, key=spec.milestone
        )
        if milestone is None:  # the catalogue checked the key; plans were seeded before
            raise LookupError(f"milestone {spec.milestone!r} missing after seeding plans")
        existing = await find_progress_update(
            session=run.session, milestone_id=milestone.id, member_id=member_id, note=spec.note
        )
        if existing is not None:
            run.saw(existing, Change.UNCHANGED)
            continue
        reported_at = run.now - spec.age
        report = await record_progress(
            session=run.session,
            milestone=milestone,
            member_id=member_id,
            status=spec.status,
            percent=spec.percent,
            note=spec.note,
            evidence_url=spec.evidence_url,
            channel=Channel.SIMULATOR,
            reported_at=reported_at,
        )
        run.saw(report, Change.INSERTED)
        moved = milestone.last_update_at == reported_at
        run.saw(milestone, Change.UPDATED if moved else Change.UNCHANGED)


async def _seed_partnerships(run: SeedRun, demo: DemoSpec) -> None:
    """Offers, interests and competition entries; what the firms and cities did with them stays."""
    offer_ids: dict[str, int] = {}
    for offer in demo.offers:
        row = await run.create_once(
            PartnershipOffer,
            offer.key,
            {"organisation_id": run.organisation_ids[offer.organisation], "title": offer.title},
            {
                "created_by_member_id": run.member_id(offer.created_by),
                "description": offer.description,
                "url": offer.url,
                "kind": offer.kind,
                "status": OfferStatus.OPEN,
                "published_at": run.now,
            },
        )
        if row is not None:
            offer_ids[offer.key] = row.id
            for domain in offer.domains:
                await upsert_row(
                    session=run.session,
                    model=OfferDomain,
                    key={"offer_id": row.id, "domain_id": run.domain_ids[domain]},
                    values={},
                )
    for interest in demo.interests:
        if interest.offer not in offer_ids:  # the firm removed it
            continue
        await run.create_once(
            PartnershipInterest,
            f"{interest.offer}/{interest.organisation}",
            {
                "offer_id": offer_ids[interest.offer],
                "organisation_id": run.organisation_ids[interest.organisation],
            },
            {
                "member_id": run.member_id(interest.member),
                "note": interest.note,
                "status": interest.status,
            },
        )
    for entry in demo.entries:
        await run.create_once(
            CompetitionEntry,
            f"{entry.competition}/{entry.organisation}",
            {
                "competition_id": run.competition_ids[entry.competition],
                "organisation_id": run.organisation_ids[entry.organisation],
            },
            {},
        )
