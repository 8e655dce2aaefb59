"""Issue 14: what the dashboard calls reads interests in one query however many there are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from db.enums import InterestStatus
from db.models import Organisation, PartnershipInterest
from handlers.partners import service
from tests.conftest import START, Database
from tests.handlers.partners_kit import add_firm, offer_in

CITIES = ("bangkok", "phuket", "yala", "krabi")


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent inside the block."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


async def test_interest_lists_take_one_query(seeded_database: Database) -> None:
    """`interests_of_offer`, `open_introductions`: one statement for 4 interests, oldest first."""
    await add_firm(seeded_database)
    async with seeded_database.sessions() as session, session.begin():
        offer_id = await offer_in(session, "Smart poles", ["living"])
        cities = {
            city.slug: city.id
            for city in await session.scalars(
                select(Organisation).where(Organisation.slug.in_(CITIES))
            )
        }
        for slug in CITIES:
            status = InterestStatus.INTRODUCED if slug == "yala" else InterestStatus.EXPRESSED
            session.add(
                PartnershipInterest(
                    offer_id=offer_id,
                    organisation_id=cities[slug],
                    status=status,
                    created_at=START,
                )
            )
            await session.flush()

    async with seeded_database.sessions() as session:
        with counted(seeded_database) as sent:
            everyone = await service.interests_of_offer(session=session, offer_id=offer_id)
        assert len(sent) == 1
        assert [row.city.slug for row in everyone] == list(CITIES)
        assert {row.firm.slug for row in everyone} == {"solar-siam"}
        with counted(seeded_database) as sent:
            waiting = await service.open_introductions(session=session)
        assert len(sent) == 1
        assert [row.city.slug for row in waiting] == ["bangkok", "phuket", "krabi"]
