"""Issue 14: who may browse offers, say Interested, ask for an introduction and answer one —
every role against every action, each refusal a clear message that changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.clock import FrozenClock
from bot.core.dispatcher import Dispatcher
from bot.core.texts import Texts
from db.enums import Channel, InterestStatus, Language, Role
from handlers.partners.payloads import Interested, IntroAnswer, Introduce
from tests.chatdriver import ChatDriver
from tests.conftest import Database
from tests.handlers.partners_kit import FIRM, add_firm, add_offer, consents, interests
from tests.handlers.progress_kit import Register, progress_dispatcher, pushed

ROLES = {
    "executive": ("khon-kaen", Role.EXECUTIVE),
    "officer": ("khon-kaen", Role.OFFICER),
    "other city": ("pattaya", Role.EXECUTIVE),
    "partner": (FIRM, Role.PARTNER),
    "coordinator": ("depa", Role.COORDINATOR),
    "admin": ("depa", Role.ADMIN),
}


@pytest.fixture
def dispatcher(
    seeded_database: Database, texts: Texts, clock: FrozenClock, tmp_path: Path
) -> Dispatcher:
    """The real dispatcher, pushing on LINE and Telegram."""
    return progress_dispatcher(seeded_database, texts, clock, tmp_path / "media")


async def people(register: Register, db: Database) -> dict[str, ChatDriver]:
    """One English-speaking member of each role (and of another city)."""
    await add_firm(db)
    return {
        name: await register(org, role, channel=Channel.LINE, language="en")
        for name, (org, role) in ROLES.items()
    }


async def test_who_may_browse_and_say_interested(
    register: Register,
    seeded_database: Database,
    texts: Texts,
    new_chat: Callable[..., ChatDriver],
) -> None:
    """/partners: city teams and depa (partners pointed to /myoffers); Interested: cities only."""
    t = texts.bind(Language.EN)
    who = await people(register, seeded_database)
    offer_id = await add_offer(seeded_database, "Smart poles", ["living"])
    newcomer = new_chat("u-stranger", language="en")

    for name in ("executive", "officer", "other city", "coordinator", "admin"):
        await who[name].send("/partners")
        assert who[name].text.startswith("🤝 Partners' offers to cities."), name
    await who["partner"].send("/partners")
    assert who["partner"].text == t("partners.firm_hint")
    await newcomer.send("/partners")
    assert newcomer.text == t("auth.register_first")

    for name in ("partner", "coordinator", "admin"):
        await who[name].press(Interested(offer_id).pack())
        assert who[name].text == t("partners.errors.city_only"), name
    await newcomer.press(Interested(offer_id).pack())
    assert newcomer.text == t("auth.register_first")
    assert await interests(seeded_database) == []
    for name in ("officer", "other city"):
        await who[name].press(Interested(offer_id).pack())
        assert who[name].text.startswith("✅ Noted: your city is interested"), name
    assert len(await interests(seeded_database)) == 2


async def test_who_may_ask_for_and_answer_an_introduction(
    register: Register, seeded_database: Database, texts: Texts
) -> None:
    """Introduce: depa, or the interested city by its button; answers: the two sides only."""
    t = texts.bind(Language.EN)
    who = await people(register, seeded_database)
    offer_id = await add_offer(seeded_database, "Smart poles", ["living"])
    await who["executive"].press(Interested(offer_id).pack())
    (interest,) = await interests(seeded_database)

    for name in ("executive", "officer", "partner"):
        await who[name].send(f"/introduce {interest.id}")
        assert who[name].text == t("partners.errors.depa_only"), name
    for name in ("partner", "other city"):
        await who[name].press(Introduce(interest.id).pack())
        assert who[name].text == t("partners.errors.not_yours"), name
    for typed in ("/introduce 999", "/introduce abc"):
        await who["admin"].send(typed)
        assert who["admin"].text == t("partners.errors.unknown_interest")
    (unchanged,) = await interests(seeded_database)
    assert unchanged.status is InterestStatus.EXPRESSED
    assert await pushed(seeded_database, "partners.intro") == []

    await who["admin"].send(f"/introduce #{interest.id}")
    assert who["admin"].text.startswith("📨 Both sides were asked")
    for name in ("other city", "coordinator", "admin"):
        await who[name].press(IntroAnswer(interest.id, True).pack())
        assert who[name].text == t("partners.errors.not_yours"), name
    for name in ("officer", "partner"):  # the city's other member may answer for it
        await who[name].press(IntroAnswer(interest.id, True).pack())
        assert who[name].text.startswith("Please type the phone number"), name
    assert await consents(seeded_database) == []
