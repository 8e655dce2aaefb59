"""Issue 11 D4: an update whose fields have the wrong types is answered, never left stuck."""

from __future__ import annotations

import html

from sqlalchemy import select

from bot.core.texts import Texts
from db.enums import InboxStatus, Language
from db.models import InboundEvent
from tests.channels.telegram.conftest import SOMCHAI, TelegramHarness, texts_of


async def test_issue11_d4_a_boolean_language_code_is_no_hint_and_the_update_is_answered(
    telegram: TelegramHarness, texts: Texts
) -> None:
    """`from.language_code: true` through the real webhook: answered once in Thai, row done."""
    update = telegram.updates.text(SOMCHAI, "/help")
    update["message"]["from"]["language_code"] = True

    calls = await telegram.deliver(update)

    (answer,) = texts_of(calls)
    expected = html.escape(
        texts.by_language[Language.TH]["help.newcomer"].split("{", 1)[0], quote=False
    )
    assert answer.startswith(expected)
    async with telegram.app.sessions() as session:
        rows = list(await session.scalars(select(InboundEvent)))
    assert [(row.status, row.attempts, row.failures) for row in rows] == [(InboxStatus.DONE, 1, 0)]
    assert (await telegram.identity_of(SOMCHAI)).language is None
