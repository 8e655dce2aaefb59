"""The LINE channel adapter: webhook in, replies out (reply token while fresh, else push).

Sending rules (LINE's, as the Messaging API documents them):
- A reply token is free but single-use and short-lived: it is used while the event is younger
  than `LINE_REPLY_TOKEN_TTL_SECONDS`. "Invalid reply token" on a first try falls back to push in
  the same attempt; so does anything beyond the five messages a reply carries.
- Pushes carry an `X-Line-Retry-Key` derived from the outbox message from the first attempt, so a
  retry after a timeout or a crash can never deliver twice; LINE's 409 for a key it has seen
  means it was delivered: sent.
- The reply API takes no retry key, but a token's single use is one: a reply whose fate is
  unknown (a timeout, a 5xx, a process killed mid-send) is retried with the same token while it
  is fresh, and "invalid reply token" then means the earlier try got through. Whether the token
  was spent is kept with the message (`reply_spent`), so a retry after a known refusal pushes.
  Only a reply whose fate is unknown once the token has gone stale can arrive twice: LINE then
  answers a spent and an expired token alike, and a push is the only way not to lose it.
- 4xx are final (kept with LINE's request id), 5xx and timeouts are retried by the outbox, a 429
  with "monthly limit" pauses pushes (replies stay possible), other 429s wait and retry.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Coroutine, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.line import events as line_events
from bot.channels.line.api import (
    InvalidRequest,
    LineApi,
    LineApiError,
    LineUnavailable,
    Profile,
)
from bot.channels.line.render import Message, requests_for
from bot.channels.line.webhook import PATH, LineWebhook
from bot.core.accounts import platform_language
from bot.core.channel import Delivery, Ingest, Outcome, SendResult, Webhook, Wiring
from bot.core.clock import Clock
from bot.core.events import (
    Event,
    Followed,
    JoinedGroup,
    MessageUnsent,
    Unfollowed,
    Unsupported,
)
from bot.core.files import Download, FileUnavailable
from bot.core.replies import ReplyError
from bot.core.webhooks import GroupCommit
from db.enums import Channel, ChatKind
from db.repositories import profiles, stored_events

log = logging.getLogger(__name__)

# The namespace of our X-Line-Retry-Key UUIDs (uuid5 of the outbox message and request number).
RETRY_KEY_NAMESPACE = uuid.UUID("6f1d2c39-3a2b-5d3e-9c8e-1f6b1a9c0e51")
INVALID_REPLY_TOKEN = "invalid reply token"  # noqa: S105  # LINE's error text, not a secret
# The delivery context's record of the reply token: "sent" (delivered), "refused" (push instead).
REPLY_SPENT = "reply_spent"
MONTHLY_LIMIT = "monthly limit"
QUOTA_RECHECK_SECONDS = 3600.0  # after LINE's monthly-limit 429, try one push again after this
# LINE lets people take a message back for 24 hours; the scan looks twice as far back, so a
# redelivery that arrives late still finds what to redact.
UNSEND_WINDOW = timedelta(hours=48)
PROFILE_CACHE_SIZE = 50_000
PROFILE_LOOKUPS = 4  # profile requests at once, beside the answers
PROFILE_WAIT_SECONDS = 1.0  # what a follow's greeting waits for the person's language at most


def retry_key(delivery: Delivery, request: int) -> str:
    """The X-Line-Retry-Key of one request of a delivery: the same on every attempt."""
    base = delivery.retry_key or f"outbox:{delivery.message_id}"
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"{base}:{request}"))


def classify(error: LineApiError | LineUnavailable) -> SendResult:
    """What the outbox should do after LINE refused or did not answer."""
    if isinstance(error, LineUnavailable):
        return SendResult(Outcome.RETRY, error=f"LINE unavailable: {error}")
    if error.status == 429:
        if MONTHLY_LIMIT in error.message.casefold():
            log.error("LINE monthly quota reached: pushes paused (%s)", error)
            return SendResult(Outcome.PAUSED, error=str(error))
        return SendResult(Outcome.RETRY, error=str(error), retry_after=error.retry_after)
    if error.status >= 500 or error.status == 0:
        return SendResult(Outcome.RETRY, error=str(error))
    log.warning("line: request refused for good: %s", error)
    return SendResult(Outcome.FAILED, error=str(error))


class LineChannel:
    """LINE as a channel of the bot."""

    channel = Channel.LINE

    def __init__(
        self,
        *,
        secret: str,
        api: LineApi,
        ingest: Ingest,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        reply_ttl: float,
        max_body_bytes: int,
    ) -> None:
        self.api = api
        self._sessions = sessions
        self._clock = clock
        self._reply_ttl_ms = reply_ttl * 1000
        self._commit = GroupCommit(ingest, Channel.LINE)
        self._webhook = LineWebhook(
            secret=secret.encode(),
            store=self._commit.store,
            redact=self._redact,
            max_body_bytes=max_body_bytes,
        )
        self._pushes_paused_until = 0.0  # monotonic time; pushes wait after a quota 429
        self._profiled: OrderedDict[str, None] = OrderedDict()  # accounts with cached profiles
        self._learning: set[tuple[str, str]] = set()  # profiles being fetched now
        self._lookups = asyncio.Semaphore(PROFILE_LOOKUPS)
        self._lookup_tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def create(cls, wiring: Wiring) -> LineChannel:
        """The channel as configured (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN, …)."""
        settings = wiring.settings
        if settings.line_channel_secret is None or settings.line_channel_access_token is None:
            raise ValueError("LINE needs LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN")
        api = LineApi(
            access_token=settings.line_channel_access_token.get_secret_value(),
            base_url=settings.line_api_base_url,
            data_base_url=settings.line_data_api_base_url,
            timeout=settings.citybot_request_timeout_seconds,
        )
        return cls(
            secret=settings.line_channel_secret.get_secret_value(),
            api=api,
            ingest=wiring.ingest,
            sessions=wiring.sessions,
            clock=wiring.clock,
            reply_ttl=settings.line_reply_token_ttl_seconds,
            max_body_bytes=settings.citybot_max_body_bytes,
        )

    # --- the port ---------------------------------------------------------------------------

    @property
    def webhook(self) -> Webhook:
        """`POST /webhooks/line`."""
        return Webhook(PATH, self._webhook.handle)

    async def start(self) -> None:
        """Nothing to open: the API client is made on its first call (webhooks need none)."""

    async def close(self) -> None:
        """Finish the last webhook commit and the profile look-ups; close the API client."""
        await self._commit.close()
        await self.looked_up()
        await self.api.close()

    def event_from(self, payload: Mapping[str, Any]) -> Event | None:
        """Our event for a stored LINE event (None for standby and taken-back messages)."""
        return line_events.event_from(payload)

    @property
    def reply_window(self) -> timedelta:
        """How long a reply token is used: older events are answered after fresher ones."""
        return timedelta(milliseconds=self._reply_ttl_ms)

    def reply_context(self, event: Event) -> dict[str, Any]:
        """The reply token and when LINE issued it, to judge the token's freshness later."""
        origin = event.origin
        if origin.reply_token is None or origin.issued_at is None or isinstance(event, Unfollowed):
            return {}
        return {
            "reply_token": origin.reply_token,
            "event_ms": round(origin.issued_at.timestamp() * 1000),
        }

    async def send(self, delivery: Delivery) -> SendResult:
        """Reply while the token is fresh, push otherwise; ≤ 5 messages per request."""
        try:
            return await self._send(delivery)
        except (ReplyError, InvalidRequest) as error:  # LINE can never take it: do not retry
            log.error("line: message %d cannot be rendered: %s", delivery.message_id, error)
            return SendResult(Outcome.FAILED, error=f"unrenderable: {error}")

    async def _send(self, delivery: Delivery) -> SendResult:
        requests = requests_for(tuple(delivery.replies))
        if not requests or not delivery.recipients:
            return SendResult(Outcome.SENT)
        sent_ids: list[str] = []
        spent = delivery.context.get(REPLY_SPENT)
        if spent is None and self._reply_fresh(delivery):
            try:
                sent_ids += await self.api.reply(str(delivery.context["reply_token"]), requests[0])
                spent = "sent"
            except LineApiError as error:
                if not (error.status == 400 and INVALID_REPLY_TOKEN in error.message.casefold()):
                    return classify(error)  # the token is kept: the retry replies with it again
                spent = self._refused(delivery)
            except LineUnavailable as error:
                return classify(error)  # the reply may have arrived: the retry tells
        first_push = 1 if spent == "sent" else 0
        if first_push == len(requests):
            return SendResult(Outcome.SENT, platform_ids=tuple(sent_ids))
        result = await self._push(delivery, requests, first_push, sent_ids)
        if spent == delivery.context.get(REPLY_SPENT):
            return result
        return dataclasses.replace(result, context={**delivery.context, REPLY_SPENT: spent})

    # --- sending ----------------------------------------------------------------------------

    def _reply_fresh(self, delivery: Delivery) -> bool:
        token, event_ms = delivery.context.get("reply_token"), delivery.context.get("event_ms")
        if not token or not isinstance(event_ms, int):
            return False
        age_ms = self._clock.now().timestamp() * 1000 - event_ms
        return age_ms < self._reply_ttl_ms

    @staticmethod
    def _refused(delivery: Delivery) -> str:
        """What LINE's "invalid reply token" means for this delivery: delivered, or push.

        On a first attempt nobody used the token before: push. On a later one, an earlier
        attempt tried it and its fate is unknown (a timeout, a 5xx, a crash); within the
        token's life LINE refuses it only because that attempt got through.
        """
        if delivery.attempt == 1:
            log.info("line: reply token of message %d refused; pushing", delivery.message_id)
            return "refused"
        log.info("line: message %d was answered by an earlier attempt", delivery.message_id)
        return "sent"

    async def _push(
        self,
        delivery: Delivery,
        requests: Sequence[Sequence[Message]],
        first: int,
        sent_ids: list[str],
    ) -> SendResult:
        """Push requests[first:] (multicast for several recipients), with retry keys."""
        paused_for = self._pushes_paused_until - time.monotonic()
        if paused_for > 0:
            return SendResult(
                Outcome.PAUSED, error="LINE monthly quota reached", retry_after=paused_for
            )
        recipients = await self._reachable(delivery.recipients)
        if not recipients:
            return SendResult(Outcome.BLOCKED, error="the recipient blocked the bot")
        for number in range(first, len(requests)):
            key = retry_key(delivery, number)
            try:
                if len(delivery.recipients) > 1:
                    await self.api.multicast(recipients, requests[number], retry_key=key)
                else:
                    sent_ids += await self.api.push(recipients[0], requests[number], retry_key=key)
            except LineApiError as error:
                if error.status == 409:  # this retry key was accepted before: delivered
                    continue
                result = classify(error)
                if result.outcome is Outcome.PAUSED:
                    self._pushes_paused_until = time.monotonic() + QUOTA_RECHECK_SECONDS
                    return dataclasses.replace(result, retry_after=QUOTA_RECHECK_SECONDS)
                return result
            except LineUnavailable as error:
                return classify(error)
        return SendResult(Outcome.SENT, platform_ids=tuple(sent_ids))

    async def _reachable(self, recipients: Sequence[str]) -> list[str]:
        """Recipients minus accounts that blocked the bot (unfollow); groups are always in."""
        async with self._sessions() as session:
            blocked = await profiles.blocked_accounts(
                session=session, channel=Channel.LINE, external_ids=recipients
            )
        return [r for r in recipients if r not in blocked]

    # --- files people send --------------------------------------------------------------------

    async def fetch_file(self, file_ref: str, *, max_bytes: int) -> Download:
        """The image, video, audio or file of the message `file_ref`, from LINE's content host.

        FileTooLarge past `max_bytes` (the rest unread); FileUnavailable when LINE no longer has
        it (it keeps content only for a while), refuses, or does not answer.
        """
        try:
            content = await self.api.message_content(file_ref, max_bytes=max_bytes)
        except LineApiError as error:
            gone = error.status in {404, 410}
            log.log(logging.INFO if gone else logging.WARNING, "line: file not fetched: %s", error)
            raise FileUnavailable(f"LINE: {error}") from None
        except LineUnavailable as error:
            log.info("line: file not fetched, LINE unavailable: %s", error)
            raise FileUnavailable(f"LINE unavailable: {error}") from None
        return Download(content=content.data, content_type=content.content_type)

    # --- webhook side work --------------------------------------------------------------------

    async def _redact(self, message_ids: list[str]) -> None:
        """Forget messages their senders took back (LINE `unsend`)."""
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            for message_id in message_ids:
                await stored_events.redact_message(
                    session=session,
                    channel=Channel.LINE,
                    message_id=message_id,
                    since=now - UNSEND_WINDOW,
                )

    # --- profiles -----------------------------------------------------------------------------

    async def enrich(self, event: Event) -> Event:
        """`event`, with the sender's name and language when it is a follow.

        Called by the inbox before dispatching, never on the webhook path. An answer waits for
        LINE's profile API only after a follow (once per account: the greeting must speak the
        person's language), and then at most PROFILE_WAIT_SECONDS. Otherwise the sender's
        name and language are fetched in the background when an account is first seen, and
        kept on its identity row for the events after; a joined group's name likewise. A
        failure only costs the name.
        """
        if isinstance(event, JoinedGroup) and event.chat.kind is ChatKind.GROUP:
            self._learn(("group", event.chat.external_id), self._group_name(event))
            return event
        if isinstance(event, Unfollowed | MessageUnsent | Unsupported) or event.user is None:
            return event  # nothing will be said, or nobody to ask about
        user_id = event.user.external_id
        if isinstance(event, Followed):
            try:
                profile = await self._profile(event, refresh=True, wait=PROFILE_WAIT_SECONDS)
            except (LineApiError, LineUnavailable, TimeoutError) as error:
                self._not_found(user_id, error)
                return event
            if profile is None:
                return event
            user = dataclasses.replace(
                event.user, display_name=profile.display_name, language=profile.language
            )
            return dataclasses.replace(event, user=user)
        if user_id in self._profiled:
            self._profiled.move_to_end(user_id)
        else:
            self._learn(("user", user_id), self._profile(event, refresh=False))
        return event

    async def looked_up(self) -> None:
        """Wait for the profile and group look-ups under way (tests, and closing)."""
        while self._lookup_tasks:
            await asyncio.gather(*self._lookup_tasks, return_exceptions=True)

    def _learn(self, key: tuple[str, str], lookup: Coroutine[Any, Any, object]) -> None:
        """Run `lookup` in the background, one at a time per account or group."""
        if key in self._learning:
            lookup.close()
            return
        self._learning.add(key)

        async def run() -> None:
            try:
                async with self._lookups:
                    await lookup
            except (LineApiError, LineUnavailable) as error:
                self._not_found(key[1], error)
            except Exception:
                log.exception("line: profile for %s not saved", key[1])
            finally:
                self._learning.discard(key)

        task = asyncio.create_task(run(), name=f"line-lookup-{key[0]}")
        self._lookup_tasks.add(task)
        task.add_done_callback(self._lookup_tasks.discard)

    def _not_found(self, chat_or_user: str, error: Exception) -> None:
        log.info("line: profile for %s not fetched: %s", chat_or_user, error)
        if isinstance(error, LineApiError) and error.status == 404:
            # LINE has none to give (not a friend, left the group): asking again with every
            # message would cost a request and a database read each time, for nothing.
            self._remember(chat_or_user)

    async def _group_name(self, event: Event) -> None:
        name = await self.api.group_name(event.chat.external_id)
        async with self._sessions() as session, session.begin():
            await profiles.save_chat_title(
                session=session,
                channel=Channel.LINE,
                external_id=event.chat.external_id,
                kind=event.chat.kind,
                title=name,
                now=self._clock.now(),
            )

    async def _profile(
        self, event: Event, *, refresh: bool, wait: float | None = None
    ) -> Profile | None:
        """The sender's profile from LINE, saved; None when the identity row has one already
        (and `refresh` is off). `wait` bounds the wait for LINE only: a transaction is never
        cut off halfway (see bot/core/leases.py)."""
        assert event.user is not None
        user_id = event.user.external_id
        if not refresh:
            async with self._sessions() as session:
                cached = await profiles.has_profile(
                    session=session, channel=Channel.LINE, external_id=user_id
                )
            if cached:
                self._remember(user_id)
                return None
        async with asyncio.timeout(wait):
            if event.chat.is_group:
                profile = await self.api.member_profile(
                    event.chat.external_id, user_id, room=event.chat.kind is ChatKind.ROOM
                )
            else:
                profile = await self.api.profile(user_id)
        async with self._sessions() as session, session.begin():
            await profiles.save_profile(
                session=session,
                channel=Channel.LINE,
                external_id=user_id,
                display_name=profile.display_name,
                language=platform_language(profile.language),
                now=self._clock.now(),
            )
        self._remember(user_id)
        return profile

    def _remember(self, user_id: str) -> None:
        self._profiled[user_id] = None
        if len(self._profiled) > PROFILE_CACHE_SIZE:
            self._profiled.popitem(last=False)
