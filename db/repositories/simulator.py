"""The browser simulator's view of the database: the demo members one can chat as."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import Channel, Language, MemberStatus, Role
from db.models import Identity, Member, Organisation

# The seed gives every demo member the simulator account `demo-<key>` (bot.seeding); real
# visitors get other ids, so the prefix is what tells a demo persona from a person.
DEMO_ID_PREFIX = "demo-"


@dataclass(frozen=True, slots=True)
class Persona:
    """A demo member as the simulator offers them: the account to speak as, and who that is."""

    external_id: str
    display_name: str | None
    role: Role
    language: Language
    organisation_slug: str
    organisation_name_th: str
    organisation_name_en: str


async def list_demo_personas(*, session: AsyncSession) -> list[Persona]:
    """Active members behind the seeded `demo-…` simulator accounts, in seeding order."""
    rows = await session.execute(
        select(Identity.external_id, Member, Organisation)
        .join(Member, Identity.member_id == Member.id)
        .join(Organisation, Member.organisation_id == Organisation.id)
        .where(
            Identity.channel == Channel.SIMULATOR,
            Identity.external_id.startswith(DEMO_ID_PREFIX, autoescape=True),
            Member.status == MemberStatus.ACTIVE,
        )
        .order_by(Identity.id)
    )
    return [
        Persona(
            external_id=external_id,
            display_name=member.display_name,
            role=member.role,
            language=member.language,
            organisation_slug=organisation.slug,
            organisation_name_th=organisation.name_th,
            organisation_name_en=organisation.name_en,
        )
        for external_id, member, organisation in rows
    ]
