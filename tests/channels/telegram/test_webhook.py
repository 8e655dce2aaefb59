"""`POST /webhooks/telegram` end to end: Telegram-shaped updates, the real SDK, a fake API."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import logging

import pytest
from sqlalchemy import select, text

from bot.channels.telegram import TelegramChannel
from bot.core.texts import Texts
from db.enums import Channel, InboxStatus, Language, Role
from db.models import Chat, Identity, InboundEvent, Organisation
from tests.channels.telegram.conftest import (
    ANNA,
    SOMCHAI,
    TelegramHarness,
    methods_of,
    texts_of,
)
from tests.conftest import InviteFactory
from tests.fakes.telegram_updates import BOT_USER, DATE, group_chat


def city_consent(texts: Texts, language: Language) -> str:
    """The consent question as a city's officer or executive reads it."""
    purpose = texts.get(language, "consent.purpose.city")
    return texts.get(language, "consent.question", purpose=purpose)


def head(texts: Texts, language: Language, key: str) -> str:
    """The fixed start of a message (before its first placeholder), as Telegram receives it."""
    return html.escape(texts.by_language[language][key].split("{", 1)[0], quote=False)


async def test_onboarding_by_deep_link_and_consent_buttons(
    telegram: TelegramHarness, make_invite: InviteFactory, texts: Texts
) -> None:
    """`/start CODE` asks consent with inline buttons; pressing accept registers and welcomes."""
    code = await make_invite("khon-kaen", Role.OFFICER)

    asked = await telegram.says(SOMCHAI, f"/start {code}")

    consent = asked[-1]
    assert consent["chat_id"] == SOMCHAI.id
    assert consent["parse_mode"] == "HTML"
    assert consent["text"] == html.escape(city_consent(texts, Language.TH), quote=False)
    keys = [key for row in consent["reply_markup"]["inline_keyboard"] for key in row]
    assert [(k["text"], k["callback_data"]) for k in keys] == [
        (texts.get(Language.TH, "consent.accept"), "1|consent:yes"),
        (texts.get(Language.TH, "consent.decline"), "1|consent:no"),
    ]

    answered = await telegram.presses(SOMCHAI, texts.get(Language.TH, "consent.accept"))

    assert methods_of(answered) == ["answerCallbackQuery", "editMessageReplyMarkup", "sendMessage"]
    assert answered[0]["callback_query_id"].startswith("cbq-")
    retired = answered[1]
    assert retired["message_id"] == consent_message_id(telegram, SOMCHAI.id)
    assert "reply_markup" not in retired  # the consent buttons are gone
    welcome = answered[2]
    assert welcome["text"].startswith(head(texts, Language.TH, "onboarding.welcome"))
    assert welcome["reply_markup"]["inline_keyboard"]  # the member's menu
    member = await telegram.member_of(SOMCHAI)
    assert member is not None
    assert member.display_name == "สมชาย ใจดี"
    assert member.role is Role.OFFICER


def consent_message_id(harness: TelegramHarness, chat_id: int) -> int:
    """The message_id Telegram gave the consent question."""
    accept = harness.app.dispatcher.services.texts.get(Language.TH, "consent.accept")
    sent, _ = harness.last_keyboard_message(chat_id, accept)
    return int(sent["message_id"])


async def test_onboarding_by_typed_code_in_english(
    telegram: TelegramHarness, make_invite: InviteFactory, texts: Texts
) -> None:
    """A newcomer says hello, types the code (lower case, spaced) and is asked in English."""
    code = await make_invite("phuket", Role.EXECUTIVE)

    greeted = await telegram.says(ANNA, "hello")
    asked = await telegram.says(ANNA, f"{code[:4].lower()} {code[4:].lower()}")

    assert texts_of(greeted)[0] == html.escape(
        texts.get(Language.EN, "onboarding.greeting"), quote=False
    )
    assert texts_of(asked)[-1] == html.escape(city_consent(texts, Language.EN), quote=False)
    await telegram.presses(ANNA, texts.get(Language.EN, "consent.accept"))
    member = await telegram.member_of(ANNA)
    assert member is not None
    assert member.language is Language.EN


async def test_an_edited_code_is_read_again(
    telegram: TelegramHarness, make_invite: InviteFactory, texts: Texts
) -> None:
    """Correcting a mistyped code by editing the message works like typing it again."""
    code = await make_invite("yala", Role.OFFICER)
    await telegram.says(SOMCHAI, "/start")

    calls = await telegram.deliver(telegram.updates.edited_text(SOMCHAI, code))

    assert texts_of(calls)[-1] == html.escape(city_consent(texts, Language.TH), quote=False)


async def test_a_duplicate_update_is_stored_and_answered_once(telegram: TelegramHarness) -> None:
    """Telegram resending an update_id leaves one inbox row and one reply."""
    update = telegram.updates.text(SOMCHAI, "/help")

    assert await telegram.post(update) == 200
    assert await telegram.post(update) == 200
    await telegram.app.drain()

    assert await telegram.inbox_rows() == 1
    assert len(telegram.api.messages_to(SOMCHAI.id)) == 1


@pytest.mark.parametrize("secret", [None, "", "webhook-secret_012345678X", "x" * 300])
async def test_a_missing_or_forged_secret_is_refused_and_nothing_stored(
    telegram: TelegramHarness, secret: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the exact secret header the webhook answers 403 and stores nothing."""
    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram.webhook"):
        status = await telegram.post(telegram.updates.text(SOMCHAI, "/help"), secret=secret)

    assert status == 403
    assert await telegram.inbox_rows() == 0
    assert "secret token" in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'{"message": {"text": "hi"}}',
        b'{"update_id": "12", "message": {}}',
        b'{"update_id": true}',
        b"\xff\xfe",
    ],
)
async def test_a_malformed_body_is_refused_logged_and_not_stored(
    telegram: TelegramHarness, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """A body that is not a Telegram update answers 400 with a log line and stores nothing."""
    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram.webhook"):
        status = await telegram.post(body, raw=True)

    assert status == 400
    assert await telegram.inbox_rows() == 0
    assert "telegram webhook" in caplog.text


async def test_an_update_the_sdk_cannot_read_is_skipped_on_its_own_row(
    telegram: TelegramHarness,
) -> None:
    """A garbled update is acknowledged; its own row is skipped with why, nothing is sent."""
    update = {"update_id": 42, "message": {"message_id": 1, "text": "no chat, no date"}}

    assert await telegram.post(update) == 200
    await telegram.app.drain()

    async with telegram.app.sessions() as session:
        row = await session.scalar(select(InboundEvent).where(InboundEvent.event_key == "42"))
    assert row is not None
    assert (row.status, row.failures) == (InboxStatus.SKIPPED, 0)  # no retry reads it better
    assert row.last_error and "date" in row.last_error
    assert telegram.api.calls == []


async def test_group_command_with_bot_name_is_answered_in_the_group(
    telegram: TelegramHarness, texts: Texts
) -> None:
    """`/help@botname` in a group gets help in that group, threaded to the command."""
    group = group_chat()

    calls = await telegram.says(SOMCHAI, f"/help@{telegram.api.username}", chat=group)

    sent = [call for call in calls if call["method"] == "sendMessage"]
    assert [call["chat_id"] for call in sent] == [group["id"]]
    assert sent[0]["text"].startswith(head(texts, Language.TH, "help.newcomer"))
    assert sent[0]["reply_parameters"]["message_id"] > 0


async def test_an_officer_binds_a_group_with_start_code(
    telegram: TelegramHarness, make_invite: InviteFactory, texts: Texts
) -> None:
    """`/start CODE` with an officer's code in a group makes it the city team's chat."""
    group = group_chat(title="ทีมขอนแก่น")
    code = await make_invite("khon-kaen", Role.OFFICER)

    calls = await telegram.says(SOMCHAI, f"/start@{telegram.api.username} {code}", chat=group)

    async with telegram.app.sessions() as session:
        chat = await session.scalar(
            select(Chat).where(
                Chat.channel == Channel.TELEGRAM, Chat.external_id == str(group["id"])
            )
        )
        assert chat is not None
        organisation = await session.get(Organisation, chat.organisation_id)
    assert organisation is not None
    assert organisation.slug == "khon-kaen"
    assert chat.title == "ทีมขอนแก่น"
    bound = texts.get(Language.TH, "groups.bound", organisation=organisation.name_th)
    assert texts_of(calls) == [html.escape(bound, quote=False)]


async def test_the_bot_added_to_a_group_explains_itself(
    telegram: TelegramHarness, texts: Texts
) -> None:
    """my_chat_member left → member in a group: the bot says how the group becomes a team chat."""
    group = group_chat()

    calls = await telegram.deliver(
        telegram.updates.my_chat_member(SOMCHAI, "left", "member", chat=group)
    )

    assert texts_of(calls) == [html.escape(texts.get(Language.TH, "groups.joined"), quote=False)]
    assert calls[0]["chat_id"] == group["id"]


@pytest.mark.parametrize("registered", [True, False])
async def test_blocking_marks_the_account_and_unblocking_then_start_greets_once(
    telegram: TelegramHarness, make_invite: InviteFactory, texts: Texts, registered: bool
) -> None:
    """Blocking marks the account, unblocking clears it silently, the /start after greets once."""
    if registered:
        await telegram.register(SOMCHAI, await make_invite("pattaya", Role.OFFICER))
    else:
        await telegram.says(SOMCHAI, "/start")

    blocked = await telegram.deliver(telegram.updates.my_chat_member(SOMCHAI, "member", "kicked"))

    assert blocked == []
    assert (await telegram.identity_of(SOMCHAI)).blocked

    unblocked = await telegram.deliver(
        telegram.updates.my_chat_member(SOMCHAI, "kicked", "member")
    )

    assert unblocked == []
    assert not (await telegram.identity_of(SOMCHAI)).blocked

    restarted = await telegram.says(SOMCHAI, "/start")

    key = "onboarding.welcome_back" if registered else "onboarding.greeting"
    (welcome,) = texts_of(restarted)
    assert welcome.startswith(head(texts, Language.TH, key))


async def test_a_button_press_with_nothing_to_say_still_stops_the_spinner(
    telegram: TelegramHarness, texts: Texts
) -> None:
    """A press no feature answers (a retired command's button) is answered; its keyboard stays."""
    await telegram.says(SOMCHAI, "/start")
    sent, _ = telegram.last_keyboard_message(
        SOMCHAI.id, texts.get(Language.TH, "lang.switch_to_en")
    )

    calls = await telegram.deliver(telegram.updates.button_press(SOMCHAI, sent, "1|cmd:retired"))

    assert methods_of(calls) == ["answerCallbackQuery"]
    assert calls[0]["callback_query_id"].startswith("cbq-")


@pytest.mark.parametrize("kind", ["photo", "document", "location", "sticker"])
async def test_files_locations_and_stickers_reach_the_member(
    telegram: TelegramHarness, make_invite: InviteFactory, texts: Texts, kind: str
) -> None:
    """Photos, documents, locations and stickers become our events and get the member's menu."""
    await telegram.register(SOMCHAI, await make_invite("phuket", Role.OFFICER))
    updates = telegram.updates
    update = {
        "photo": lambda: updates.photo(SOMCHAI),
        "document": lambda: updates.document(SOMCHAI, "plan.pdf", "application/pdf"),
        "location": lambda: updates.location(SOMCHAI, 16.4419, 102.8360),
        "sticker": lambda: updates.sticker(SOMCHAI),
    }[kind]()
    expected = {
        "photo": "help.file_received",
        "document": "help.file_received",
        "location": "help.location_received",
        "sticker": "help.sticker",
    }[kind]

    calls = await telegram.deliver(update)

    assert texts_of(calls) == [html.escape(texts.get(Language.TH, expected), quote=False)]


async def test_kinds_the_bot_does_not_act_on_are_acknowledged_and_logged(
    telegram: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Reactions, contacts and inline queries: 200, row done, a log line, no reply."""
    updates = [
        telegram.updates.reaction(SOMCHAI, message_id=7),
        telegram.updates.contact(SOMCHAI),
        telegram.updates.inline_query(SOMCHAI),
    ]

    with caplog.at_level(logging.INFO, logger="bot.channels.telegram.updates"):
        for update in updates:
            assert await telegram.post(update) == 200
        await telegram.app.drain()

    async with telegram.app.sessions() as session:
        statuses = list(await session.scalars(select(InboundEvent.status)))
        identities = list(await session.scalars(select(Identity)))
    assert statuses == [InboxStatus.DONE] * 3
    assert identities == []  # reacting is no reason to keep someone's account
    assert telegram.api.calls == []
    for kind in ("message_reaction", "message.contact", "inline_query"):
        assert kind in caplog.text


async def test_group_members_joining_is_read_and_not_answered(
    telegram: TelegramHarness,
) -> None:
    """chat_member left → member in a group is acknowledged without a reply to the group."""
    group = group_chat()

    calls = await telegram.deliver(
        telegram.updates.chat_member(SOMCHAI, ANNA, "left", "member", group)
    )

    assert calls == []
    assert await telegram.inbox_rows() == 1


async def test_a_flood_of_forged_requests_is_logged_once(
    telegram: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Forged requests in a loop get one warning a minute, not one each (the log stays usable)."""
    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram.webhook"):
        for _ in range(5):
            assert await telegram.post(telegram.updates.text(SOMCHAI, "/help"), secret="x") == 403

    assert len([r for r in caplog.records if "secret token" in r.getMessage()]) == 1


async def test_concurrent_updates_are_each_acknowledged_once_stored(
    telegram: TelegramHarness,
) -> None:
    """Twenty requests at once (they share commits) are all answered 200 and all stored."""
    updates = [telegram.updates.text(SOMCHAI, f"/help {n}") for n in range(20)]

    statuses = await asyncio.gather(*(telegram.post(update) for update in updates))

    assert statuses == [200] * 20
    assert await telegram.inbox_rows() == 20


async def test_an_update_that_cannot_be_stored_is_not_acknowledged(
    telegram: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """With the inbox unusable the webhook answers 503: Telegram keeps the update and resends."""
    async with telegram.app.sessions() as session, session.begin():
        await session.execute(text("DROP TABLE inbound_events"))

    with caplog.at_level(logging.WARNING, logger="bot.core.webhooks"):
        status = await telegram.post(telegram.updates.text(SOMCHAI, "/help"))

    assert status == 503
    assert "not stored after 3 tries" in caplog.text


async def test_answering_reads_the_events_origin_never_its_raw_update(
    telegram: TelegramHarness,
) -> None:
    """A press in a forum topic: query, pressed message, its links and topic are in `origin`."""
    adapter = telegram.app.adapters[Channel.TELEGRAM]
    pressed = {
        "message_id": 77,
        "from": BOT_USER,
        "chat": group_chat(),
        "date": DATE,
        "is_topic_message": True,
        "message_thread_id": 9,
        "text": "เลือกได้เลย",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "ยืนยัน", "callback_data": "1|consent:yes"}],
                [{"text": "เปิด", "url": "https://materials.test/a"}],
            ]
        },
    }
    press = telegram.updates.button_press(SOMCHAI, pressed, "1|consent:yes")
    command = telegram.updates.text(SOMCHAI, "/help", chat=group_chat())
    events = [adapter.event_from(update) for update in (press, command)]
    bare = [dataclasses.replace(event, raw={}) for event in events if event is not None]

    assert [adapter.reply_context(event) for event in bare] == [
        {
            "callback_query_id": press["callback_query"]["id"],
            "message_id": 77,
            "keep_links": [[{"text": "เปิด", "url": "https://materials.test/a"}]],
            "message_thread_id": 9,
        },
        {"reply_to": command["message"]["message_id"]},
    ]
    assert isinstance(adapter, TelegramChannel)
    assert [adapter.needs_acknowledgement(event) for event in bare] == [True, False]
