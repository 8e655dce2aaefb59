"""Issue 16: community needs counted from stored questions and messages, by domain and month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.channels.console import ConsoleChannel
from bot.core.clock import FrozenClock
from bot.nlu.understanding import understander_for
from bot.settings import DEFAULT_CONTENT_DIR
from db.enums import Channel
from handlers.community.service import community_needs
from tests.chatdriver import ChatDriver
from tests.conftest import Database
from tests.handlers.community_kit import raise_needs
from tests.handlers.progress_kit import Register

BANGKOK = ZoneInfo("Asia/Bangkok")


async def test_needs_are_counted_by_domain_and_month_without_any_text(
    register: Register,
    new_chat: Callable[..., ChatDriver],
    clock: FrozenClock,
    console: ConsoleChannel,
    seeded_database: Database,
) -> None:
    """A ticket counts once (not again as its message); strangers, commands and groups not at
    all; words show only when several texts use them."""
    await raise_needs(register, new_chat, clock)
    async with seeded_database.sessions() as session:
        needs = await community_needs(
            session=session,
            understander=await understander_for(DEFAULT_CONTENT_DIR),
            readers={Channel.CONSOLE: console.event_from},
            zone=BANGKOK,
            since=clock.now() - timedelta(days=366),
        )
    assert needs.months == ["2026-11", "2026-12"]
    assert dict(needs.cells) == {
        ("environment", "2026-11"): 2,
        ("environment", "2026-12"): 1,
        ("mobility", "2026-11"): 1,
    }
    assert (needs.questions["environment"], needs.messages["environment"]) == (1, 2)
    assert (needs.questions["mobility"], needs.messages["mobility"]) == (0, 1)
    assert needs.total("environment") == 3
    assert dict(needs.keywords["environment"]) == {"ขยะ": 3, "ชุมชน": 3}
    assert needs.keywords["mobility"] == []  # one text's words would give it away
    assert needs.unclassified == 0
    assert [domain.slug for domain in needs.domains][:3] == ["environment", "economy", "mobility"]
    assert needs.busiest == 2


async def test_a_window_and_unreadable_channels_leave_texts_out(
    register: Register,
    new_chat: Callable[..., ChatDriver],
    clock: FrozenClock,
    seeded_database: Database,
) -> None:
    """Texts before `since` are not counted, nor messages no channel here can read."""
    await raise_needs(register, new_chat, clock)
    async with seeded_database.sessions() as session:
        needs = await community_needs(
            session=session,
            understander=await understander_for(DEFAULT_CONTENT_DIR),
            readers={},
            zone=BANGKOK,
            since=clock.now() - timedelta(days=1),
        )
    assert dict(needs.cells) == {}
    assert needs.months == []
