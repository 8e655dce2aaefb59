"""Issue 11 D5 over LINE: a send cut off by a kill or a timeout reaches the person once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.channels.line.channel import REPLY_SPENT
from bot.core.channel import Outcome
from bot.core.inbox import InboxProcessor
from bot.delivery.worker import DEFAULT_LEASE, delivery_of
from db.enums import OutboxStatus
from db.models import OutboundMessage
from tests.channels.line.conftest import LineHarness, endpoints
from tests.fakes.line_api import INVALID_REPLY_TOKEN
from tests.fakes.line_events import user_id

# The restarted process takes the dead worker's message over once its lease has run out.
AFTER_RESTART = DEFAULT_LEASE + timedelta(seconds=1)


async def _queued(line: LineHarness, text: str = "/help", **options: object) -> None:
    """A person writes; the bot stores its answer in the outbox and sends nothing yet."""
    assert await line.post(line.events.text(user_id(), text, **options)) == 200
    assert await line.app.inbox.process_available() == 1


async def _killed_mid_send(
    line: LineHarness, *, got_out: bool, **options: object
) -> OutboundMessage:
    """A person writes; the process stores its answer claimed for sending and dies, after the
    reply reached LINE if `got_out` (the answers it was handed are sent by nobody else)."""
    handed: list[OutboundMessage] = []

    async def dies(messages: list[OutboundMessage]) -> None:
        handed.extend(messages)

    app = line.app
    dying = InboxProcessor(
        engine=app.engine,
        sessions=app.sessions,
        dispatcher=app.dispatcher,
        adapters=app.adapters,
        clock=line.clock,
        hand_over=dies,
    )
    assert await line.post(line.events.text(user_id(), "/help", **options)) == 200
    assert await dying.process_available() == 1
    (message,) = handed
    assert message.status is OutboxStatus.SENDING
    if got_out:
        assert (await line.channel.send(delivery_of(message))).outcome is Outcome.SENT
    return message


async def _row(line: LineHarness, message_id: int) -> OutboundMessage:
    async with line.app.sessions() as session:
        row = await session.get(OutboundMessage, message_id)
    assert row is not None
    return row


async def test_issue11_d5_a_reply_out_before_a_kill_is_not_pushed_again(
    line: LineHarness,
) -> None:
    """Killed after its reply reached LINE: the retry's reply is refused as used; no push."""
    message = await _killed_mid_send(line, got_out=True)
    line.clock.advance(AFTER_RESTART)  # 16 s: the token is still within its 25 s
    await line.app.drain()
    assert endpoints(line.api.requests) == ["reply", "reply"]
    assert [request.status for request in line.api.calls("reply")] == [200, 400]
    row = await _row(line, message.id)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


async def test_issue11_d5_a_reply_cut_off_before_it_left_is_replied_once(
    line: LineHarness,
) -> None:
    """Killed before its reply left: the restarted process replies with the token, once."""
    message = await _killed_mid_send(line, got_out=False)
    line.clock.advance(AFTER_RESTART)
    await line.app.drain()
    assert endpoints(line.api.requests) == ["reply"]
    assert len(line.api.accepted("reply")) == 1
    assert (await _row(line, message.id)).status is OutboxStatus.SENT


async def test_issue11_d5_an_unsure_reply_past_its_tokens_life_is_pushed_not_lost(
    line: LineHarness,
) -> None:
    """Back only after the token expired: LINE cannot tell spent from stale, so it is pushed."""
    message = await _killed_mid_send(line, got_out=True)
    line.clock.advance(timedelta(seconds=60))
    await line.app.drain()
    assert endpoints(line.api.requests) == ["reply", "push"]  # the one duplicate LINE allows
    assert (await _row(line, message.id)).status is OutboxStatus.SENT


async def test_issue11_d5_a_push_out_before_a_kill_is_answered_409_not_delivered_twice(
    line: LineHarness,
) -> None:
    """A push carries its retry key from the first attempt: the retry after a kill gets 409."""
    message = await _killed_mid_send(line, got_out=True, age=60)
    line.clock.advance(AFTER_RESTART)
    await line.app.drain()
    first, second = line.api.calls("push")
    assert first.headers["x-line-retry-key"] == second.headers["x-line-retry-key"]
    assert [first.status, second.status] == [200, 409]
    assert len(line.api.accepted("push")) == 1
    assert (await _row(line, message.id)).status is OutboxStatus.SENT


async def test_issue11_d5_after_a_5xx_on_reply_the_retry_replies_with_the_same_token(
    line: LineHarness,
) -> None:
    """LINE's 500 leaves the reply's fate open: the retry uses the token again, not a push."""
    line.api.fail("reply", 500, "Internal server error")
    await _queued(line)
    await line.app.drain()
    line.clock.advance(timedelta(seconds=5))
    await line.app.drain()
    replies = line.api.calls("reply")
    assert endpoints(line.api.requests) == ["reply", "reply"]
    assert replies[0].json["replyToken"] == replies[1].json["replyToken"]
    assert line.api.calls("push") == []


async def test_issue11_d5_a_refused_token_is_remembered_so_the_retry_pushes(
    line: LineHarness,
) -> None:
    """Token refused, then the push fails: the retry pushes (a second refusal is not "sent")."""
    line.api.fail("reply", 400, INVALID_REPLY_TOKEN)
    line.api.fail("push", 500, "Internal server error")
    await _queued(line)
    await line.app.drain()
    (pending,) = [m for m in await _all_rows(line) if m.status is OutboxStatus.PENDING]
    assert pending.payload["context"][REPLY_SPENT] == "refused"
    line.clock.advance(timedelta(seconds=5))
    await line.app.drain()
    assert endpoints(line.api.requests) == ["reply", "push", "push"]
    assert len(line.api.accepted("push")) == 1
    assert (await _row(line, pending.id)).status is OutboxStatus.SENT


async def _all_rows(line: LineHarness) -> list[OutboundMessage]:
    async with line.app.sessions() as session:
        return list(await session.scalars(select(OutboundMessage)))
