"""A fake Telegram Bot API on loopback: python-telegram-bot talks to it exactly as to Telegram.

It answers the methods the bot uses with Bot API-shaped results, records every call with its
parameters (decoded from the form or JSON body PTB posts), serves queued updates to getUpdates
honouring `offset` (and long-polling briefly), and can be told to fail the next calls of a method
with 403, 429 (with `parameters.retry_after`), 400 or 500, and refuses sends to a group that
was upgraded to a supergroup (`upgraded`) with `parameters.migrate_to_chat_id`, as Telegram does.
Files people sent (`add_file`) are described by getFile and downloaded from
`/file/bot<token>/<file_path>`, as from Telegram; like Telegram, getFile refuses a file over
20 MB ("file is too big") and an unknown file_id ("invalid file_id").

sendDocument takes what Telegram takes: a file uploaded in a multipart body (the part named
after the parameter, or one an `attach://` value names; recorded in `uploads`, its name and
bytes, for tests to read), a file_id the fake knows, or an http(s) URL of a GIF, PDF or ZIP
file, the only kinds the Bot API fetches by URL; anything else is a 400 as from Telegram.

It enforces Telegram's flood limits on the send methods as the platform does, with 429 and
`parameters.retry_after`: about 30 messages a second overall, one a second per private chat (with a
short burst) and 20 a minute per group; `limits` changes them, `limits=None` turns them off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from tests.fakes.loopback import Limit, LoopbackServer, RateLimiter

TOKEN = "123456789:AAE-fake-token-for-tests_0123456789"
BOT_ID = 123456789
BOT_USERNAME = "citybot_test_bot"
BLOCKED = "Forbidden: bot was blocked by the user"
# Parameters that are strings even when they look like JSON ("123" typed by a person stays text).
STRING_PARAMETERS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "url",
        "secret_token",
        "document",
        "parse_mode",
        "language_code",
        "certificate",
        "ip_address",
        "file_id",
    }
)


DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the Bot API serves bots no larger file
UPLOAD_LIMIT = 50 * 1024 * 1024  # nor takes a larger document from them
URL_DOCUMENT_SUFFIXES = (".gif", ".pdf", ".zip")  # what sendDocument fetches by URL
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"


# Telegram's flood limits for sending (its FAQ: ~30/s overall, 1/s per chat, 20/min per group).
OVERALL = Limit(burst=30, per_second=30)
PRIVATE_CHAT = Limit(burst=5, per_second=1)
GROUP = Limit(burst=20, per_second=20 / 60)


@dataclass(frozen=True)
class TelegramLimits:
    """The limits a fake enforces; the defaults are Telegram's."""

    overall: Limit = OVERALL
    private_chat: Limit = PRIVATE_CHAT
    group: Limit = GROUP


@dataclass
class Call:
    """One Bot API request as the fake received it, and the result it answered (if it did)."""

    method: str
    params: dict[str, Any]
    result: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request: its part name, file name, media type and bytes."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class _File:
    file_path: str
    data: bytes
    sized: bool  # getFile tells file_size (Telegram leaves it out when it does not know it)


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None = None
    skip: int = 0  # calls to let through before this failure


@dataclass
class FakeTelegramApi:
    """The fake server; `start()` it, point `TELEGRAM_API_BASE_URL` at `base_url`."""

    token: str = TOKEN
    username: str = BOT_USERNAME
    long_poll_cap: float = 0.3  # the fake never holds a long poll longer than this
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] | None = None
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    refuse_document_urls: bool = False
    upgraded: dict[int, int] = field(default_factory=dict)  # old group id → its supergroup's
    files: dict[str, _File] = field(default_factory=dict)  # file_id → what was sent
    downloads: list[str] = field(default_factory=list)  # file paths downloaded, in order
    uploads: list[Upload] = field(default_factory=list)  # documents uploaded, in order
    limits: TelegramLimits | None = field(default_factory=TelegramLimits)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    _failures: dict[str, deque[_Failure]] = field(default_factory=lambda: defaultdict(deque))
    _next_message_id: int = 500
    _server: LoopbackServer = field(default_factory=LoopbackServer)
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        await self._server.start(app)

    async def stop(self) -> None:
        """Stop listening."""
        await self._server.stop()

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL should be (the token is appended by the client)."""
        return f"http://127.0.0.1:{self._server.port}/bot"

    # --- scripting ----------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """Answer `times` calls of `method` with this error, after letting `skip` calls through."""
        for index in range(times):
            failure = _Failure(status, description, retry_after, skip if index == 0 else 0)
            self._failures[method].append(failure)

    def add_file(
        self, file_id: str, data: bytes, *, file_path: str | None = None, sized: bool = True
    ) -> None:
        """A file someone sent, as `file_id`; getFile gives its size unless `sized` is False."""
        path = file_path or f"documents/file_{len(self.files)}"
        self.files[file_id] = _File(path, data, sized)

    def queue_update(self, update: dict[str, Any]) -> None:
        """Offer an update to getUpdates."""
        self.updates.append(update)
        self._new_update.set()

    # --- reading what happened ----------------------------------------------------------------

    def delivered(self, method: str = "sendMessage") -> list[Call]:
        """The calls to `method` that succeeded, in order."""
        return [call for call in self.calls if call.method == method and call.result is not None]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call to `method`, in order."""
        return [call.params for call in self.calls if call.method == method]

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Every sendMessage and sendDocument to `chat_id`, in order."""
        return [
            call.params
            for call in self.calls
            if call.method in {"sendMessage", "sendDocument"} and call.params["chat_id"] == chat_id
        ]

    def clear(self) -> None:
        """Forget the recorded calls."""
        self.calls.clear()

    @property
    def throttled(self) -> int:
        """How many calls were answered 429 for sending too fast."""
        return self.limiter.refused.total()

    # --- the API ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params)
        self.calls.append(call)
        failures = self._failures.get(method)
        if failures and failures[0].skip:
            failures[0].skip -= 1
        elif failures:
            failure = failures.popleft()
            return _error(failure.status, failure.description, failure.retry_after)
        if method.startswith("send") and params.get("chat_id") in self.upgraded:
            new_id = self.upgraded[params["chat_id"]]
            upgraded = "Bad Request: group chat was upgraded to a supergroup chat"
            return _error(400, upgraded, migrate_to_chat_id=new_id)
        if method.startswith("send") and self.limits is not None:
            wait = self.limiter.admit(*self._draws(params.get("chat_id")))
            if wait:
                seconds = RateLimiter.whole_seconds(wait)
                return _error(429, f"Too Many Requests: retry after {seconds}", seconds)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        call.result = result
        return web.json_response({"ok": True, "result": result})

    def _draws(self, chat_id: Any) -> list[tuple[str, Any, Limit]]:
        """The buckets a send to `chat_id` draws from."""
        assert self.limits is not None
        group = isinstance(chat_id, int) and chat_id < 0
        per_chat = self.limits.group if group else self.limits.private_chat
        return [("overall", None, self.limits.overall), ("chat", chat_id, per_chat)]

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        self._next_message_id += 1
        chat: dict[str, Any] = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id < 0:
            chat["title"] = "group"
        return {
            "message_id": self._next_message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Smart City Connect"},
            **{key: value for key, value in content.items() if value is not None},
        }

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        path = request.match_info["path"]
        found = next((f for f in self.files.values() if f.file_path == path), None)
        if found is None:
            return _error(404, "Not Found")
        self.downloads.append(path)
        return web.Response(body=found.data, content_type="application/octet-stream")

    async def _api_getFile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id", ""))
        found = self.files.get(file_id)
        if found is None:
            return _error(400, "Bad Request: invalid file_id")
        if len(found.data) > DOWNLOAD_LIMIT:
            return _error(400, "Bad Request: file is too big")
        result = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_path": found.file_path,
        }
        return result | ({"file_size": len(found.data)} if found.sized else {})

    async def _api_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Smart City Connect",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        if not str(params.get("text", "")).strip():
            return _error(400, "Bad Request: message text is empty")
        return self._message(
            params["chat_id"], text=params["text"], reply_markup=params.get("reply_markup")
        )

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        sent = params.get("document")
        if isinstance(sent, Upload):
            return self._uploaded(params, sent)
        if not isinstance(sent, str) or not sent:
            return _error(400, "Bad Request: there is no document in the request")
        if sent.startswith(("http://", "https://")):
            path = sent.split("?", 1)[0].casefold()
            if self.refuse_document_urls or not path.endswith(URL_DOCUMENT_SUFFIXES):
                return _error(400, WRONG_FILE)
            name = path.rsplit("/", 1)[-1]
        elif sent in self.files:
            name = self.files[sent].file_path.rsplit("/", 1)[-1]
        else:
            return _error(400, WRONG_FILE)
        document = {"file_id": f"doc-{name}", "file_unique_id": f"u-{name}", "file_name": name}
        return self._message(params["chat_id"], document=document, caption=params.get("caption"))

    def _uploaded(self, params: dict[str, Any], upload: Upload) -> Any:
        """A document uploaded in the request: kept as a file the bot may send again by id."""
        if not upload.data:
            return _error(400, "Bad Request: file must be non-empty")
        if len(upload.data) > UPLOAD_LIMIT:
            return _error(413, "Request Entity Too Large")
        self.uploads.append(upload)
        file_id = f"upload-{len(self.uploads)}"
        self.add_file(file_id, upload.data, file_path=f"documents/{upload.filename}")
        document = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_name": upload.filename,
            "mime_type": upload.content_type,
            "file_size": len(upload.data),
        }
        return self._message(params["chat_id"], document=document, caption=params.get("caption"))

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._message(params["chat_id"], reply_markup=params.get("reply_markup"))
        message["message_id"] = params["message_id"]
        return message

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._message(params["chat_id"], text=params["text"])
        message["message_id"] = params["message_id"]
        return message

    async def _api_answerCallbackQuery(self, _params: dict[str, Any]) -> bool:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _api_getWebhookInfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook and self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        scope = (params.get("scope") or {"type": "default"})["type"]
        self.commands[(scope, params.get("language_code", ""))] = params["commands"]
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            return _error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if offset is not None:  # an offset confirms every update before it: they are gone
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and params.get("timeout"):
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._new_update.wait(), min(float(params["timeout"]), self.long_poll_cap)
                )
        return self.updates[: int(params.get("limit", 100))]


async def _params(request: web.Request) -> dict[str, Any]:
    """The call's parameters: a JSON body, or form fields (urlencoded or multipart) whose values
    PTB encoded as JSON; a file part is an `Upload`, and so is a value `attach://` points to it."""
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    if not request.can_read_body:
        return {}
    form = await request.post()
    files = {
        key: Upload(key, value.filename, value.content_type, value.file.read())
        for key, value in form.items()
        if isinstance(value, FileField)
    }
    params: dict[str, Any] = {}
    for key, value in form.items():
        text = value if isinstance(value, str) else str(value)
        attached = text.removeprefix("attach://") if text.startswith("attach://") else None
        if key in files or attached in files:
            params[key] = files[key] if key in files else files[str(attached)]
            continue
        if key in STRING_PARAMETERS:
            params[key] = text
            continue
        try:
            params[key] = json.loads(text)
        except ValueError:
            params[key] = text
    return params


def _error(
    status: int,
    description: str,
    retry_after: int | None = None,
    *,
    migrate_to_chat_id: int | None = None,
) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    if migrate_to_chat_id is not None:
        body["parameters"] = {"migrate_to_chat_id": migrate_to_chat_id}
    return web.json_response(body, status=status)
