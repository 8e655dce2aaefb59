"""The Telegram channel: webhook or long polling in, python-telegram-bot's Bot API client out.

State lives in our database, not in python-telegram-bot's Application: flows, offsets and the
poller lease work across processes and restarts.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.channels.telegram.api import BotClient, bot_id_from_token, connect
from bot.channels.telegram.polling import STANDBY_RETRY_SECONDS, TelegramPoller, retry_seconds
from bot.channels.telegram.render import DocumentOut, MessageOut, Outgoing, render_all
from bot.channels.telegram.updates import UpdateReader
from bot.channels.telegram.webhook import WEBHOOK_PATH, TelegramWebhook
from bot.core.channel import Delivery, Ingest, Outcome, SendResult, Webhook, Wiring
from bot.core.clock import Clock
from bot.core.events import ChoiceSelected, Event
from bot.core.files import Download, FileTooLarge, FileUnavailable
from bot.core.replies import ReplyError
from bot.settings import Settings
from db.enums import Channel

log = logging.getLogger(__name__)

# The delivery context's record of how far an earlier attempt got (calls done, message ids), so
# a retry after a passing failure, in this process or after a restart, skips what went out.
STEPS_DONE = "steps_done"
SENT_IDS = "sent_ids"
# The Bot API serves bots no file larger than this ("Bad Request: file is too big").
DOWNLOAD_LIMIT = 20 * 1024 * 1024
TOO_BIG = "file is too big"


@dataclass(frozen=True, slots=True)
class _Step:
    """One Bot API call of a delivery; `courtesy` steps may fail without failing the delivery."""

    call: Callable[[], Awaitable[Message | bool | None]]
    courtesy: bool = False


@dataclass(slots=True)
class _Progress:
    """How far a delivery got: steps done, and the ids of the messages they sent."""

    done: int
    sent_ids: list[str]


class TelegramChannel:
    """Telegram as one of our channels."""

    channel = Channel.TELEGRAM

    def __init__(
        self,
        *,
        settings: Settings,
        ingest: Ingest,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        standby_retry: float = STANDBY_RETRY_SECONDS,
    ) -> None:
        if settings.telegram_bot_token is None:
            raise ValueError("the Telegram channel needs TELEGRAM_BOT_TOKEN")
        self._settings = settings
        self._ingest = ingest
        self._sessions = sessions
        self._clock = clock
        self._token = settings.telegram_bot_token.get_secret_value()
        self._standby_retry = standby_retry
        self._reader = UpdateReader(bot_id=bot_id_from_token(self._token))
        secret = settings.telegram_webhook_secret
        self._webhook = TelegramWebhook(
            secret=secret.get_secret_value() if secret else None,
            ingest=ingest,
            max_body_bytes=settings.citybot_max_body_bytes,
        )
        self._client: BotClient | None = None
        self.poller: TelegramPoller | None = None

    @classmethod
    def create(cls, wiring: Wiring) -> TelegramChannel:
        """The channel as the composition root builds it from settings."""
        return cls(
            settings=wiring.settings,
            ingest=wiring.ingest,
            sessions=wiring.sessions,
            clock=wiring.clock,
        )

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def webhook(self) -> Webhook:
        """`POST /webhooks/telegram` (refused with 403 while polling: no secret to check)."""
        return Webhook(WEBHOOK_PATH, self._webhook.handle)

    async def start(self) -> None:
        """Open the Bot API client; without a webhook secret, start polling (development)."""
        # No getMe here: the token's id part is the bot's id, and the username is a setting.
        self._client = connect(self._settings)
        if self._settings.telegram_polling:
            self.poller = TelegramPoller(
                bot=self._client.bot,
                sessions=self._sessions,
                ingest=self._ingest,
                clock=self._clock,
                standby_retry=self._standby_retry,
            )
            self.poller.start()

    async def close(self) -> None:
        """Stop polling (releasing the lease), end the last commit, close; safe to call twice."""
        poller, self.poller = self.poller, None
        if poller is not None:
            await poller.stop()
        await self._webhook.close()
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # --- events in -------------------------------------------------------------------------------

    def event_from(self, payload: Mapping[str, Any]) -> Event | None:
        """The event in one stored update (raises on a malformed one)."""
        return self._reader.event(payload, received_at=self._clock.now())

    def reply_context(self, event: Event) -> dict[str, Any]:
        """Which button press to answer and which keyboard to retire; where a group reply goes."""
        origin = event.origin
        context: dict[str, Any] = {}
        if isinstance(event, ChoiceSelected) and origin.query_id is not None:
            context["callback_query_id"] = origin.query_id
            if origin.message_id is not None:
                context["message_id"] = int(origin.message_id)
                context["keep_links"] = [
                    [{"text": key.label, "url": key.url} for key in row] for row in origin.links
                ]
        elif origin.message_id is not None and event.chat.is_group:
            # In a busy group the answer is threaded to the command it answers.
            context["reply_to"] = int(origin.message_id)
        if origin.thread_id is not None:
            context["message_thread_id"] = int(origin.thread_id)
        return context

    def needs_acknowledgement(self, event: Event) -> bool:
        """A button press: Telegram shows a spinner until it is answered, reply or not."""
        return isinstance(event, ChoiceSelected) and event.origin.query_id is not None

    # --- files people send -----------------------------------------------------------------------

    async def fetch_file(self, file_ref: str, *, max_bytes: int) -> Download:
        """The photo, document, video or voice note `file_ref` (a `file_id`), via getFile.

        Telegram tells the size first: past `max_bytes` (or its own 20 MB) FileTooLarge, with
        nothing downloaded. Telegram names no content type for photos (always JPEG) and the
        document's own is in the update, so the download carries none: the media store reads
        the bytes. FileUnavailable when Telegram refuses (an unknown or expired id) or fails.
        """
        if self._client is None:
            raise FileUnavailable("the Telegram channel is not started")
        try:
            found = await self._client.bot.get_file(file_ref)
            if found.file_size is not None and found.file_size > max_bytes:
                raise FileTooLarge(max_bytes)
            data = bytes(await found.download_as_bytearray())
        except BadRequest as error:
            if TOO_BIG in error.message.casefold():
                raise FileTooLarge(min(max_bytes, DOWNLOAD_LIMIT)) from None
            raise self._unavailable(error) from None
        except TelegramError as error:
            raise self._unavailable(error) from None
        if len(data) > max_bytes:  # Telegram did not say the size: it has been read whole
            raise FileTooLarge(max_bytes)
        return Download(content=data)

    def _unavailable(self, error: TelegramError) -> FileUnavailable:
        reason = f"{type(error).__name__}: {error}".replace(self._token, "***")
        log.info("telegram: file not fetched: %s", reason)
        return FileUnavailable(f"Telegram: {reason}")

    # --- replies out -----------------------------------------------------------------------------

    async def send(self, delivery: Delivery) -> SendResult:
        """Send one outbox message: answer the button press, retire its keyboard, then reply."""
        if self._client is None:
            return SendResult(Outcome.RETRY, error="the Telegram channel is not started")
        if len(delivery.recipients) != 1 or not delivery.recipients[0].lstrip("-").isdigit():
            return SendResult(Outcome.FAILED, error="Telegram sends to exactly one chat id")
        try:
            outgoing = render_all(delivery.replies)
        except ReplyError as error:
            return SendResult(Outcome.FAILED, error=f"cannot render for Telegram: {error}")
        chat_id = int(delivery.recipients[0])
        progress = _Progress(
            int(delivery.context.get(STEPS_DONE, 0)), list(delivery.context.get(SENT_IDS, ()))
        )
        try:
            try:
                await self._run(self._steps(chat_id, delivery.context, outgoing), progress)
            except ChatMigrated as moved:
                # The group became a supergroup before we handled the update saying so: the
                # rest goes to its new id (the update moves the chat and its queue for good).
                log.info("telegram: chat %s is now %s; sending there", chat_id, moved.new_chat_id)
                steps = self._steps(moved.new_chat_id, delivery.context, outgoing)
                await self._run(steps, progress)
        except TelegramError as error:
            outcome = self._failure(error)
            if outcome.outcome is not Outcome.RETRY or not progress.done:
                return outcome
            done = {STEPS_DONE: progress.done, SENT_IDS: progress.sent_ids}
            return dataclasses.replace(outcome, context={**delivery.context, **done})
        return SendResult(Outcome.SENT, platform_ids=tuple(progress.sent_ids))

    @staticmethod
    async def _run(steps: Sequence[_Step], progress: _Progress) -> None:
        """Make the calls not done yet, counting each one done as it succeeds."""
        for step in steps[progress.done :]:
            try:
                result = await step.call()
            except BadRequest as error:
                if not step.courtesy:
                    raise
                # "query is too old", "message is not modified": the reply still matters.
                log.info("telegram: skipped a courtesy call: %s", error)
                result = None
            progress.done += 1
            if isinstance(result, Message) and not step.courtesy:
                progress.sent_ids.append(str(result.message_id))

    def _steps(
        self, chat_id: int, context: Mapping[str, Any], outgoing: Sequence[Outgoing]
    ) -> list[_Step]:
        assert self._client is not None
        bot = self._client.bot
        steps: list[_Step] = []
        query_id = context.get("callback_query_id")
        if query_id:
            steps.append(_Step(lambda: bot.answer_callback_query(str(query_id)), courtesy=True))
        pressed = context.get("message_id")
        # A press that got no answer keeps its keyboard: nothing replaced what it offered.
        if pressed and outgoing:
            links = context.get("keep_links") or []
            markup = (
                InlineKeyboardMarkup(
                    [
                        [InlineKeyboardButton(text=k["text"], url=k["url"]) for k in row]
                        for row in links
                    ]
                )
                if links
                else None
            )
            steps.append(
                _Step(
                    lambda: bot.edit_message_reply_markup(
                        chat_id=chat_id, message_id=int(pressed), reply_markup=markup
                    ),
                    courtesy=True,
                )
            )
        thread = context.get("message_thread_id")
        reply_to = context.get("reply_to")
        for index, out in enumerate(outgoing):
            threading = (
                ReplyParameters(message_id=int(reply_to), allow_sending_without_reply=True)
                if reply_to and index == 0
                else None
            )
            steps.append(_Step(self._sender(chat_id, out, thread, threading)))
        return steps

    def _sender(
        self,
        chat_id: int,
        out: Outgoing,
        thread: int | None,
        reply: ReplyParameters | None,
    ) -> Callable[[], Awaitable[Message]]:
        assert self._client is not None
        bot = self._client.bot

        async def send_message(message: MessageOut) -> Message:
            return await bot.send_message(
                chat_id=chat_id,
                text=message.text,
                parse_mode=ParseMode.HTML,
                reply_markup=message.keyboard,
                link_preview_options=message.preview,
                message_thread_id=thread,
                reply_parameters=reply,
            )

        async def send() -> Message:
            if isinstance(out, MessageOut):
                return await send_message(out)
            return await send_document(out)

        async def send_document(document: DocumentOut) -> Message:
            # Bytes we have are uploaded (multipart); otherwise Telegram fetches the URL.
            sent: InputFile | str = (
                InputFile(document.content, filename=document.file_name)
                if document.content is not None
                else document.url
            )
            try:
                return await bot.send_document(
                    chat_id=chat_id,
                    document=sent,
                    caption=document.caption,
                    parse_mode=ParseMode.HTML,
                    message_thread_id=thread,
                    reply_parameters=reply,
                )
            except BadRequest as error:
                # Telegram fetches a URL itself and refuses many (type, size, login walls).
                log.info("telegram: document refused (%s); sending the link", error)
                return await send_message(document.fallback)

        return send

    def _failure(self, error: TelegramError) -> SendResult:
        """A Bot API error as a delivery outcome."""
        reason = f"{type(error).__name__}: {error}".replace(self._token, "***")
        match error:
            case RetryAfter():
                return SendResult(Outcome.RETRY, error=reason, retry_after=retry_seconds(error))
            case Forbidden():  # blocked by the user, deactivated, or removed from the group
                return SendResult(Outcome.BLOCKED, error=reason)
            case ChatMigrated():
                return SendResult(Outcome.FAILED, error=reason)
            case InvalidToken():
                log.error("telegram: the bot token was rejected; sending is paused")
                return SendResult(Outcome.PAUSED, error=reason)
            case BadRequest():
                return SendResult(Outcome.FAILED, error=reason)
            case NetworkError():  # includes TimedOut
                return SendResult(Outcome.RETRY, error=reason)
        return SendResult(Outcome.RETRY, error=reason)
