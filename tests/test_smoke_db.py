"""The database fixtures give a migrated database of each kind."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OrganisationKind, Role
from db.models import Organisation
from db.repositories.invites import create_invite, get_invite, redeem_invite


async def test_invite_round_trip_keeps_utc(session: AsyncSession) -> None:
    """An invite stored and read back has an aware UTC expiry and redeems once."""
    org = Organisation(slug="yala", kind=OrganisationKind.CITY, name_th="ยะลา", name_en="Yala")
    session.add(org)
    await session.flush()
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    invite = await create_invite(
        session=session, organisation_id=org.id, role=Role.OFFICER, now=now
    )
    await session.commit()
    session.expunge_all()
    loaded = await get_invite(session=session, code=invite.code.lower())
    assert loaded is not None
    assert loaded.expires_at == now + timedelta(days=14)
    assert await redeem_invite(session=session, invite=loaded, now=now)
    assert not await redeem_invite(session=session, invite=loaded, now=now)
