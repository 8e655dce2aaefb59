"""Issue 14: who may do what with offers, every bad input explained, nothing half-saved, and a
firm's own list with its counts and Close."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import FrozenClock
from bot.core.texts import Texts
from db.enums import Channel, InterestStatus, OfferKind, OfferStatus, Role
from db.models import Member, OfferView, Organisation, PartnershipOffer
from handlers.offers import service
from handlers.offers.notices import ChatNotices
from handlers.offers.payloads import CloseOffer
from tests.conftest import Database
from tests.factories import add_member, line
from tests.handlers.offers_kit import (
    FIRM,
    OTHER_FIRM,
    add_firm,
    add_interest,
    add_offer,
    audited,
    cards_of,
    offers,
)
from tests.handlers.progress_kit import Register, step_of


@pytest.fixture
async def firms(seeded_database: Database) -> dict[str, Organisation]:
    """Two partner firms."""
    async with seeded_database.sessions() as session, session.begin():
        return {slug: await add_firm(session, slug) for slug in (FIRM, OTHER_FIRM)}


async def store(db: Database, slug: str, title: str, **kwargs: object) -> PartnershipOffer:
    """An offer of firm `slug`, stored straight."""
    async with db.sessions() as session, session.begin():
        firm = await session.scalar(select(Organisation).where(Organisation.slug == slug))
        assert firm is not None
        return await add_offer(session, firm, title, **kwargs)  # type: ignore[arg-type]


REFUSED_PARTNER = "Offers are made by partner firms"
REFUSED_DEPA = "Offers are reviewed by depa's coordinators"


@pytest.mark.usefixtures("firms")
@pytest.mark.parametrize(
    ("org", "role"),
    [
        ("khon-kaen", Role.EXECUTIVE),
        ("khon-kaen", Role.OFFICER),
        (FIRM, Role.PARTNER),
        ("depa", Role.COORDINATOR),
        ("depa", Role.ADMIN),
    ],
)
async def test_role_by_action_matrix(
    org: str, role: Role, register: Register, seeded_database: Database
) -> None:
    """Partners write and close offers; depa's staff review them; everyone else is told who."""
    first = await store(seeded_database, FIRM, "Air sensors")
    second = await store(seeded_database, FIRM, "Flood models")
    person = await register(org, role, channel=Channel.LINE, language="en")
    partner, depa = role is Role.PARTNER, role in {Role.COORDINATOR, Role.ADMIN}

    await person.send("/offer")
    assert person.text.startswith("🤝 New offer (1/6)" if partner else REFUSED_PARTNER)
    await person.send("/offers pending")
    abandoned = "Your offer was not sent; the draft is dropped.\n" if partner else ""
    wanted = "Offers waiting for review: 2" if depa else REFUSED_DEPA
    assert person.text.startswith(abandoned + wanted)
    await person.send(f"/offers approve {first.id}")
    assert person.text.startswith(f"✅ Offer #{first.id} is published" if depa else REFUSED_DEPA)
    await person.send(f"/offers reject {second.id} Not for cities")
    rejected = f"Offer #{second.id} is rejected; the firm was told why."
    assert person.text.startswith(rejected if depa else REFUSED_DEPA)
    await person.send("/myoffers")
    assert person.text.startswith("Your firm's offers: 2" if partner else REFUSED_PARTNER)
    await person.send(f"/myoffers close {first.id}")
    closed = f'Offer #{first.id} "Air sensors" is closed'
    assert person.text.startswith(closed if partner else REFUSED_PARTNER)

    stored = {offer.id: offer.status for offer in await offers(seeded_database)}
    if depa:
        assert stored == {first.id: OfferStatus.OPEN, second.id: OfferStatus.REJECTED}
    elif partner:
        assert stored == {first.id: OfferStatus.CLOSED, second.id: OfferStatus.PENDING}
        assert len(await audited(seeded_database, "offers.closed")) == 1
    else:
        assert stored == {first.id: OfferStatus.PENDING, second.id: OfferStatus.PENDING}


@pytest.mark.usefixtures("firms")
async def test_every_bad_input_is_explained_and_asked_again_with_nothing_stored(
    register: Register, seeded_database: Database
) -> None:
    """Unknown domain, no domain, long title, 1,001-character description, unknown kind and
    city, a link that is not http(s): each said, the step asked again; Cancel stores nothing."""
    partner = await register(FIRM, Role.PARTNER, channel=Channel.LINE, language="en")
    await partner.send("/offer")
    await partner.send("teleportation, energy")
    assert partner.text.startswith('There is no domain "teleportation". The domains are: ')
    assert "New offer (1/6): which domains" in partner.text
    await partner.send("9")
    assert partner.text.startswith('There is no domain "9".')
    await partner.choose("Done ✓")
    assert partner.text.startswith("Choose at least one domain.\n🤝 New offer (1/6)")
    await partner.send("energy")
    await partner.send("T" * 121)
    assert partner.text.startswith("The title is 121 characters; the limit is 120.")
    await partner.send("Smart meters")
    await partner.send("x" * 1001)
    assert partner.text.startswith(
        "The description is 1001 characters; the limit is 1000. Please shorten it"
    )
    assert await step_of(seeded_database, partner) == "offer.description"
    await partner.send("y" * 1000)  # exactly the limit is fine
    await partner.send("a spaceship")
    assert partner.text.startswith('"a spaceship" is not a kind of offer.')
    await partner.send("2")  # Technology, by its number
    await partner.choose("Choose cities")
    await partner.choose("Done ✓")
    assert partner.text.startswith("Choose at least one city")
    await partner.send("Atlantis")
    assert partner.text.startswith('There is no city "Atlantis".')
    await partner.choose("More cities ›")  # Yala is on the second page
    await partner.choose("Yala")
    assert "Chosen: Yala" in partner.text
    assert "✓ Yala" in [option.label for option in partner.options()]
    await partner.choose("Done ✓")
    await partner.send("ftp://files.example/meters")
    assert partner.text.startswith("That is not a link: it must start with http:// or https://")
    await partner.send("www.example.com")
    assert partner.text.startswith("That is not a link")
    await partner.choose("Skip")
    assert "Link: none" in partner.text
    assert "Description: 1000/1000 characters" in partner.text
    assert await offers(seeded_database) == []

    await partner.choose("Edit")  # back to the start, the draft kept
    assert "Chosen: Smart Energy" in partner.text
    await partner.choose("Done ✓")
    assert "Now: Smart meters" in partner.text
    await partner.choose("Keep")
    await partner.choose("Keep")
    assert partner.options()[1].label == "✓ Technology"
    await partner.choose("Cancel")
    assert partner.text == "Offer cancelled; nothing was sent."
    assert await offers(seeded_database) == []
    assert await audited(seeded_database, "offers.created") == []
    await partner.press(CloseOffer(1).pack())
    assert partner.text == "There is no offer 1."


@pytest.mark.usefixtures("firms")
async def test_a_service_caller_who_is_not_a_partner_saves_nothing(
    seeded_database: Database, texts: Texts, clock: FrozenClock
) -> None:
    """create_offer refuses a city member, and a bad offer, before writing any row."""
    async with seeded_database.sessions() as session, session.begin():
        executive = await add_member(session, "khon-kaen", Role.EXECUTIVE, [line("e1")])
        partner = await add_member(session, FIRM, Role.PARTNER, [line("f1")])
    outreach = service.Outreach(texts=texts, channels=(Channel.LINE,), notices=ChatNotices())
    good = service.NewOffer(("energy",), "Meters", "Smart meters.", kind=OfferKind.DATA)
    cases: list[tuple[Member, service.NewOffer, str]] = [
        (executive, good, "not_partner"),
        (partner, service.NewOffer(("warp",), "M", "D", kind=OfferKind.DATA), "unknown_domain"),
        (partner, service.NewOffer((), "M", "D", kind=OfferKind.DATA), "no_domain"),
        (
            partner,
            service.NewOffer(("energy",), "M", "D" * 1001, kind=OfferKind.DATA),
            "description_too_long",
        ),
        (
            partner,
            service.NewOffer(("energy",), "M", "D", kind=OfferKind.DATA, url="mailto:x"),
            "bad_link",
        ),
        (
            partner,
            service.NewOffer(("energy",), "M", "D", kind=OfferKind.DATA, targets_all=False),
            "no_city",
        ),
    ]
    for author, offer, reason in cases:
        async with seeded_database.sessions() as session, session.begin():
            with pytest.raises(service.OfferError) as refused:
                await service.create_offer(
                    session=session, author=author, offer=offer, now=clock.now(), outreach=outreach
                )
        assert refused.value.reason == reason
    assert await offers(seeded_database) == []


@pytest.mark.usefixtures("firms")
async def test_my_offers_show_counts_newest_first_and_close_only_the_firms_own(
    register: Register, seeded_database: Database
) -> None:
    """Views (distinct members), interests, introductions; Close on open and pending only;
    another firm's offer cannot be closed, nor a closed one again."""
    open_offer = await store(seeded_database, FIRM, "Open data portal", status=OfferStatus.OPEN)
    rejected = await store(seeded_database, FIRM, "Drones", status=OfferStatus.REJECTED)
    pending = await store(seeded_database, FIRM, "Bike sharing")
    theirs = await store(seeded_database, OTHER_FIRM, "Grid batteries", status=OfferStatus.OPEN)
    async with seeded_database.sessions() as session, session.begin():
        await _seen(session, open_offer, ("yala", "yala", "krabi"))
        await add_interest(session, open_offer, "yala", InterestStatus.INTRODUCED)
        await add_interest(session, open_offer, "krabi", InterestStatus.EXPRESSED)
        await add_interest(session, theirs, "krabi", InterestStatus.EXPRESSED)
    partner = await register(FIRM, Role.PARTNER, channel=Channel.LINE, language="en")

    await partner.send("ข้อเสนอของฉัน")

    cards = cards_of(partner.last)
    assert [card.title for card in cards] == ["Bike sharing", "Drones", "Open data portal"]
    assert cards[2].subtitle.startswith(
        f"#{open_offer.id} · open · seen by 3 · 2 interested · 1 introduced\n"
    )
    assert cards[1].subtitle.startswith(f"#{rejected.id} · rejected · seen by 0 · 0 interested")
    assert [[b.label for b in card.buttons] for card in cards] == [["Close"], [], ["Close"]]
    assert cards[0].buttons[0].payload == CloseOffer(pending.id).pack()

    await partner.send(f"/myoffers close {theirs.id}")
    assert (
        partner.text
        == f"Offer #{theirs.id} is not your firm's: you can close only your own offers."
    )
    await partner.send(f"/myoffers close {rejected.id}")
    assert partner.text == f"Offer #{rejected.id} is already rejected."
    await partner.press(CloseOffer(open_offer.id).pack())
    assert partner.text.startswith(f'Offer #{open_offer.id} "Open data portal" is closed')
    await partner.press(CloseOffer(open_offer.id).pack())
    assert partner.text == f"Offer #{open_offer.id} is already closed."

    stored = {offer.id: offer for offer in await offers(seeded_database)}
    assert stored[open_offer.id].status is OfferStatus.CLOSED
    assert stored[open_offer.id].closed_at is not None
    assert stored[theirs.id].status is OfferStatus.OPEN
    assert stored[rejected.id].status is OfferStatus.REJECTED
    (closing,) = await audited(seeded_database, "offers.closed")
    assert closing.target == f"offer:{open_offer.id}"


async def _seen(session: AsyncSession, offer: PartnershipOffer, cities: tuple[str, ...]) -> None:
    """One city member saw the offer per city named (a city twice: two of its members)."""
    for number, slug in enumerate(cities):
        viewer = await add_member(session, slug, Role.OFFICER, [line(f"v{number}")])
        session.add(
            OfferView(
                offer_id=offer.id, member_id=viewer.id, organisation_id=viewer.organisation_id
            )
        )
    await session.flush()


@pytest.mark.usefixtures("firms")
async def test_lists_read_counts_in_the_same_number_of_queries_however_many_offers(
    seeded_database: Database,
) -> None:
    """list_offers and firm_offers: no query per offer."""

    async def queries_for(how_many: int) -> tuple[int, int]:
        for number in range(how_many):
            offer = await store(seeded_database, FIRM, f"Offer {number}", status=OfferStatus.OPEN)
            async with seeded_database.sessions() as session, session.begin():
                await add_interest(session, offer, "yala", InterestStatus.EXPRESSED)
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        sync_engine = seeded_database.engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", count)
        try:
            async with seeded_database.sessions() as session:
                firm = await session.scalar(select(Organisation).where(Organisation.slug == FIRM))
                assert firm is not None
                listed = await service.list_offers(session=session)
                before = len(statements)
                mine = await service.firm_offers(session=session, organisation_id=firm.id)
        finally:
            event.remove(sync_engine, "before_cursor_execute", count)
        assert len(listed) == len(mine) >= how_many
        assert all(summary.counts.interests == 1 for summary in mine)
        return before, len(statements) - before

    assert await queries_for(2) == await queries_for(5)
