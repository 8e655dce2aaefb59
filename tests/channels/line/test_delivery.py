"""Sending over LINE: reply tokens while fresh, pushes with retry keys otherwise, errors sorted."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.line.events import event_from
from bot.core.channel import Delivery, Outcome
from bot.core.events import Followed, JoinedGroup
from bot.core.replies import Link, Text
from db.enums import Channel, ChatKind, OutboxStatus, Role
from db.models import Chat, Identity, Member, Organisation, OutboundMessage
from tests.channels.line.conftest import LineHarness, endpoints, words
from tests.conftest import InviteFactory
from tests.fakes.line_api import INVALID_REPLY_TOKEN, MONTHLY_LIMIT
from tests.fakes.line_events import LineEvents, group_id, user_id


async def _outbox(line: LineHarness) -> list[OutboundMessage]:
    async with line.app.sessions() as session:
        return list(await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


async def _identity(line: LineHarness, user: str) -> Identity:
    async with line.app.sessions() as session:
        identity = await session.scalar(
            select(Identity).where(Identity.channel == Channel.LINE, Identity.external_id == user)
        )
    assert identity is not None
    return identity


def _delivery(to: str | tuple[str, ...], *replies: Text, **context: object) -> Delivery:
    recipients = (to,) if isinstance(to, str) else to
    return Delivery(message_id=4242, recipients=recipients, replies=replies, context=context)


async def test_onboarding_over_line_uses_only_free_replies(
    line: LineHarness, make_invite: InviteFactory
) -> None:
    """Follow → greeting, code → consent, tap → welcome: all by reply token, zero pushes."""
    somchai = user_id()
    greeting = await line.deliver(line.events.follow(somchai))
    assert endpoints(greeting) == ["reply"]
    assert "รหัสเชิญ" in words(greeting)
    assert greeting[0].json["messages"][-1]["quickReply"]["items"]  # the language switch

    code = await make_invite("khon-kaen", Role.OFFICER)
    consent = await line.says(somchai, code)
    assert endpoints(consent) == ["reply"]
    consent_question = consent[0].json["messages"][-1]
    labels = [item["action"]["label"] for item in consent_question["quickReply"]["items"]]
    assert labels == ["ยินยอม", "ไม่ยินยอม"]

    welcome = await line.taps(somchai, "ยินยอม")
    assert endpoints(welcome) == ["reply"]
    assert "ลงทะเบียนเรียบร้อย" in words(welcome)
    assert "ขอนแก่น" in words(welcome)

    assert line.api.calls("push") == []
    identity = await _identity(line, somchai)
    async with line.app.sessions() as session:
        member = await session.get(Member, identity.member_id)
        city = await session.scalar(select(Organisation).where(Organisation.slug == "khon-kaen"))
    assert member is not None and city is not None
    assert (member.organisation_id, member.role) == (city.id, Role.OFFICER)
    assert {m.status for m in await _outbox(line)} == {OutboxStatus.SENT}


async def test_interactive_chat_with_fresh_events_causes_zero_pushes(line: LineHarness) -> None:
    """Back-and-forth within seconds: every answer goes by reply token."""
    user = user_id()
    for text in ("/help", "สวัสดี", "/lang", "/help", "อะไรนะ"):
        await line.says(user, text)
        line.clock.advance(timedelta(seconds=4))
    assert endpoints(line.api.requests) == ["reply"] * 5


async def test_stale_event_is_answered_by_push_with_a_retry_key(line: LineHarness) -> None:
    """An event 60 s old: its reply token is not tried; the answer is pushed with a UUID key."""
    user = user_id()
    sent = await line.says(user, "/help", age=60)
    assert endpoints(sent) == ["push"]
    (push,) = sent
    assert push.json["to"] == user
    assert uuid.UUID(push.headers["x-line-retry-key"])


async def test_rejected_reply_token_falls_back_to_push_at_once(line: LineHarness) -> None:
    """LINE says "Invalid reply token": the same attempt pushes, and the message is sent."""
    line.api.fail("reply", 400, INVALID_REPLY_TOKEN)
    sent = await line.says(user_id(), "/help")
    assert endpoints(sent) == ["reply", "push"]
    assert sent[0].json["messages"] == sent[1].json["messages"]
    (message,) = await _outbox(line)
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)


async def test_after_a_5xx_on_reply_a_stale_token_gives_way_to_a_push(line: LineHarness) -> None:
    """After a 500 on reply, a retry past the token's life pushes, with a retry key."""
    line.api.fail("reply", 500, "Internal server error")
    await line.says(user_id(), "/help")
    (message,) = await _outbox(line)
    assert message.status is OutboxStatus.PENDING
    line.clock.advance(timedelta(minutes=5))
    await line.app.drain()
    assert endpoints(line.api.requests) == ["reply", "push"]
    (message,) = await _outbox(line)
    assert message.status is OutboxStatus.SENT


async def test_push_retries_reuse_the_retry_key_and_409_means_sent(line: LineHarness) -> None:
    """A 5xx is retried later with the same X-Line-Retry-Key; LINE's 409 for it counts as sent."""
    line.api.fail("push", 502, "Bad gateway")
    await line.says(user_id(), "/help", age=120)
    (message,) = await _outbox(line)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    line.clock.advance(timedelta(minutes=5))
    await line.app.drain()
    first, second = line.api.calls("push")
    assert first.headers["x-line-retry-key"] == second.headers["x-line-retry-key"]
    (message,) = await _outbox(line)
    assert message.status is OutboxStatus.SENT

    delivery = Delivery(
        message_id=message.id,
        recipients=tuple(message.recipients),
        replies=(Text(text="again"),),
        attempt=3,
    )
    result = await line.channel.send(delivery)  # LINE saw this key: 409, nothing sent twice
    assert result.outcome is Outcome.SENT
    assert (
        line.api.calls("push")[-1].headers["x-line-retry-key"] == first.headers["x-line-retry-key"]
    )


async def test_more_than_five_messages_reply_five_and_push_the_rest(line: LineHarness) -> None:
    """Seven messages to a fresh event: the reply takes five, a push the other two."""
    event_ms = int(line.clock.now().timestamp() * 1000)
    replies = [Text(text=f"ข้อ {i}") for i in range(7)]
    delivery = _delivery(user_id(), *replies, reply_token="a" * 32, event_ms=event_ms)
    result = await line.channel.send(delivery)
    assert result.outcome is Outcome.SENT
    assert len(result.platform_ids) == 7
    reply, push = line.api.requests
    assert [len(r.json["messages"]) for r in (reply, push)] == [5, 2]
    assert push.json["messages"][-1]["text"] == "ข้อ 6"
    assert uuid.UUID(push.headers["x-line-retry-key"])


async def test_long_text_is_sent_in_pieces_of_5000(line: LineHarness) -> None:
    """A 12,000-character text reaches LINE as three messages LINE accepts."""
    text = "\n".join(["รายงานความคืบหน้า ด้านพลังงาน 80%"] * 400)
    result = await line.channel.send(_delivery(user_id(), Text(text=text)))
    assert result.outcome is Outcome.SENT
    (push,) = line.api.calls("push")
    pieces = [m["text"] for m in push.json["messages"]]
    assert len(pieces) == 3 and all(len(p) <= 5000 for p in pieces)
    assert "\n".join(pieces) == text


async def test_monthly_limit_pauses_pushes_but_not_replies(
    line: LineHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """429 "monthly limit": paused, logged, no further push calls; replies still go out."""
    caplog.set_level(logging.ERROR, logger="bot.channels.line")
    line.api.fail("push", 429, MONTHLY_LIMIT)
    await line.says(user_id(), "/help", age=90)
    assert "LINE monthly quota reached" in caplog.text
    (message,) = await _outbox(line)
    assert message.status is OutboxStatus.PENDING
    assert message.next_attempt_at >= line.clock.now() + timedelta(minutes=59)

    paused = await line.channel.send(_delivery(user_id(), Text(text="ประกาศ")))
    assert paused.outcome is Outcome.PAUSED
    assert len(line.api.calls("push")) == 1  # the paused push never reached LINE

    await line.says(user_id(), "/help")  # a fresh event is still answered, for free
    assert endpoints(line.api.requests)[-1] == "reply"


async def test_rate_limit_429_waits_as_long_as_line_says(line: LineHarness) -> None:
    """A plain 429 with Retry-After is retried after exactly that long."""
    line.api.fail(
        "push", 429, "The API rate limit has been exceeded.", headers={"Retry-After": "7"}
    )
    result = await line.channel.send(_delivery(user_id(), Text(text="x")))
    assert (result.outcome, result.retry_after) == (Outcome.RETRY, 7.0)


async def test_client_errors_fail_for_good_with_lines_request_id(line: LineHarness) -> None:
    """A 4xx is not retried; the outbox keeps LINE's message and x-line-request-id."""
    line.api.fail("push", 400, "The property, 'to', in the request body is invalid")
    await line.says(user_id(), "/help", age=45)
    (message,) = await _outbox(line)
    assert message.status is OutboxStatus.FAILED
    assert message.last_error is not None
    assert "'to', in the request body is invalid" in message.last_error
    assert "x-line-request-id" in message.last_error


async def test_timeouts_and_refused_connections_are_retried(line: LineHarness) -> None:
    """No answer in time, or nobody listening: RETRY, and the SDK never waits 5 minutes."""
    channel = line.channel
    channel.api._timeout = 0.2  # what CITYBOT_REQUEST_TIMEOUT_SECONDS sets
    line.api.delays["push"] = 1.0
    slow = await channel.send(_delivery(user_id(), Text(text="x")))
    assert slow.outcome is Outcome.RETRY and "unavailable" in (slow.error or "")
    await line.api.stop()
    refused = await channel.send(_delivery(user_id(), Text(text="x")))
    assert refused.outcome is Outcome.RETRY


async def test_unfollow_blocks_the_account_and_nothing_more_is_sent(line: LineHarness) -> None:
    """After unfollow the identity is blocked and a push to it is not even attempted."""
    user = user_id()
    await line.says(user, "/help")
    assert await line.deliver(line.events.unfollow(user)) == []
    assert (await _identity(line, user)).blocked
    result = await line.channel.send(_delivery(user, Text(text="ประกาศ")))
    assert result.outcome is Outcome.BLOCKED
    assert endpoints(line.api.requests) == ["reply"]


async def test_multicast_skips_blocked_accounts_and_carries_a_retry_key(line: LineHarness) -> None:
    """Several recipients go in one multicast, without those who blocked the bot."""
    blocked, first, second = user_id(), user_id(), user_id()
    await line.deliver(line.events.unfollow(blocked))
    result = await line.channel.send(_delivery((first, blocked, second), Text(text="ประกาศ")))
    assert result.outcome is Outcome.SENT
    (multicast,) = line.api.calls("multicast")
    assert multicast.json["to"] == [first, second]
    assert uuid.UUID(multicast.headers["x-line-retry-key"])


async def test_group_becomes_a_city_teams_chat(
    line: LineHarness, make_invite: InviteFactory
) -> None:
    """Join → greeting in the group; an officer's `/start CODE` there binds it to the city."""
    group, officer = group_id(), user_id()
    joined = await line.deliver(line.events.join(group))
    assert endpoints(joined) == ["reply"]
    assert "/start" in words(joined)
    assert await line.says(officer, "สวัสดีทุกคน", group=group) == []  # chatter: no answer
    code = await make_invite("chiang-mai", Role.OFFICER)
    bound = await line.says(officer, f"/start {code}", group=group)
    assert endpoints(bound) == ["reply"]
    assert "เชียงใหม่" in words(bound)
    async with line.app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.external_id == group))
        city = await session.scalar(select(Organisation).where(Organisation.slug == "chiang-mai"))
    assert chat is not None and city is not None
    assert (chat.kind, chat.organisation_id) == (ChatKind.GROUP, city.id)


async def test_profile_is_fetched_on_follow_and_cached(line: LineHarness) -> None:
    """Enriching a follow asks LINE for the name and language once, and stores them."""
    user = user_id()
    line.api.profiles[user] = {"displayName": "Somchai J.", "language": "en"}
    follow = event_from(line.events.follow(user))
    assert isinstance(follow, Followed)
    enriched = await line.channel.enrich(follow)
    assert enriched.user is not None
    assert (enriched.user.display_name, enriched.user.language) == ("Somchai J.", "en")
    identity = await _identity(line, user)
    assert (identity.display_name, identity.language) == ("Somchai J.", "en")
    text = event_from(line.events.text(user, "hi"))
    assert text is not None
    assert await line.channel.enrich(text) is text  # cached: LINE is not asked again
    await line.channel.looked_up()
    assert endpoints(line.api.requests, lookups=True) == ["profile"]


async def test_profile_of_an_unknown_sender_is_fetched_once(line: LineHarness) -> None:
    """A first message from an account we never saw: the event goes on as it is while the name
    is fetched beside it (no answer waits for it), then read from the cache."""
    user = user_id()
    line.api.profiles[user] = {"displayName": "สมหญิง", "language": "th"}
    for _ in range(3):
        said = event_from(line.events.text(user, "สวัสดี"))
        assert said is not None
        assert await line.channel.enrich(said) is said
    await line.channel.looked_up()
    assert endpoints(line.api.requests, lookups=True) == ["profile"]
    assert (await _identity(line, user)).display_name == "สมหญิง"


async def test_a_profile_line_does_not_have_is_asked_for_once(line: LineHarness) -> None:
    """404 (no profile to give): the event goes on, and the next ones do not ask again."""
    user = user_id()
    for _ in range(3):
        said = event_from(line.events.text(user, "สวัสดี"))
        assert said is not None
        assert await line.channel.enrich(said) is said
        await line.channel.looked_up()
    assert endpoints(line.api.requests, lookups=True) == ["profile"]


async def test_a_profile_lookup_that_failed_for_now_is_tried_again(line: LineHarness) -> None:
    """LINE unavailable (500) is not "no profile": the next message asks again, and gets it."""
    user = user_id()
    line.api.profiles[user] = {"displayName": "สมหญิง", "language": "th"}
    line.api.fail("profile", 500, "Internal server error")
    for _ in range(2):
        said = event_from(line.events.text(user, "สวัสดี"))
        assert said is not None
        await line.channel.enrich(said)
        await line.channel.looked_up()
    assert endpoints(line.api.requests, lookups=True) == ["profile", "profile"]
    assert (await _identity(line, user)).display_name == "สมหญิง"


async def test_group_name_is_fetched_on_join_and_failures_do_not_stop_the_event(
    line: LineHarness,
) -> None:
    """Join: the group's name is stored beside the event; a profile LINE cannot give leaves the
    event as it was."""
    group = group_id()
    line.api.groups[group] = "ทีมเมืองอัจฉริยะเชียงใหม่"
    joined = event_from(line.events.join(group))
    assert isinstance(joined, JoinedGroup)
    assert await line.channel.enrich(joined) is joined
    await line.channel.looked_up()
    async with line.app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.external_id == group))
    assert chat is not None and chat.title == "ทีมเมืองอัจฉริยะเชียงใหม่"
    stranger = event_from(line.events.text(user_id(), "hi"))
    assert stranger is not None
    assert await line.channel.enrich(stranger) is stranger  # 404 from LINE: unchanged
    await line.channel.looked_up()
    assert endpoints(line.api.requests, lookups=True)[-1] == "profile"


async def test_unblocking_makes_the_account_reachable_and_greets_again(line: LineHarness) -> None:
    """Follow with isUnblocked after an unfollow: the account is reachable and answered."""
    user = user_id()
    await line.deliver(line.events.unfollow(user))
    assert (await _identity(line, user)).blocked
    sent = await line.deliver(line.events.follow(user, unblocked=True))
    assert endpoints(sent) == ["reply"]
    assert not (await _identity(line, user)).blocked


async def test_a_reply_line_cannot_show_fails_without_retrying(line: LineHarness) -> None:
    """A link LINE cannot open is a rendering error: FAILED at once, nothing sent."""
    link = Link(text="แผน", label="เปิด", url="ftp://files.test/plan.pdf")
    delivery = Delivery(message_id=7, recipients=(user_id(),), replies=(link,))
    result = await line.channel.send(delivery)
    assert result.outcome is Outcome.FAILED
    assert "unrenderable" in (result.error or "")
    assert line.api.requests == []


async def test_english_profile_gets_the_greeting_in_english(line: LineHarness) -> None:
    """The inbox enriches a follow before dispatching: an English profile is greeted in English."""
    user = user_id()
    line.api.profiles[user] = {"displayName": "Anna", "language": "en"}
    sent = await line.deliver(line.events.follow(user))
    assert "invite code" in words(sent)
    assert endpoints(sent) == ["reply"]
    assert endpoints(line.api.requests, lookups=True) == ["profile", "reply"]


async def test_the_reply_context_comes_from_the_events_origin_not_its_raw_payload(
    line: LineHarness,
) -> None:
    """The reply token and its age are parsed into `origin`; an emptied `raw` changes nothing."""
    adapter = line.app.adapters[Channel.LINE]
    events = LineEvents(line.clock)
    text, unfollow = events.text(user_id(), "/help"), events.unfollow(user_id())
    parsed = [event_from(payload) for payload in (text, unfollow)]
    bare = [dataclasses.replace(event, raw={}) for event in parsed if event is not None]

    assert [adapter.reply_context(event) for event in bare] == [
        {"reply_token": text["replyToken"], "event_ms": text["timestamp"]},
        {},  # LINE gives no token with an unfollow: nothing can answer it
    ]
