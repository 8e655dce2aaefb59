"""A fake LINE Messaging API on loopback: the real SDK talks to it exactly as to api.line.me.

It records every request (method, path, headers, JSON or bytes), answers like LINE (sent message
ids, `x-line-request-id` on every response), checks what LINE checks — the access token, reply
tokens used once, at most five messages, documented text and label limits — honours
`X-Line-Retry-Key` (409 for a key seen before), keeps rich menus, default and per-user links, and
can be told to fail the next calls of an endpoint (invalid reply token, 500, 429 monthly limit).
It also plays LINE's content host (LINE_DATA_API_BASE_URL): the files people sent, registered
with `add_content`, served at `GET /v2/bot/message/{id}/content` (404 for any other id).

It enforces LINE's rate limits per endpoint (2,000 requests a second for reply and push, 200 for
multicast) with LINE's 429 "The API rate limit has been exceeded"; `limits` changes them,
`limits=None` turns them off.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.channels.line import graphemes
from tests.fakes.line_events import ACCESS_TOKEN
from tests.fakes.loopback import Limit, LoopbackServer, RateLimiter

INVALID_REPLY_TOKEN = "Invalid reply token"
MONTHLY_LIMIT = "You have reached your monthly limit."
MAX_LABEL = 20
MAX_TEXT = 5000
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
LINE_LIMITS = {
    "reply": Limit(burst=2000, per_second=2000),
    "push": Limit(burst=2000, per_second=2000),
    "multicast": Limit(burst=200, per_second=200),
}


@dataclass
class Request:
    """One API request as the fake received it, and the status it answered."""

    endpoint: str
    method: str
    path: str
    headers: dict[str, str]
    json: Any
    body: bytes
    status: int = 0  # 0 while it is being answered
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class _Content:
    data: bytes
    content_type: str
    chunked: bool  # sent without Content-Length, as a stream of chunks


@dataclass
class _Failure:
    status: int
    message: str
    headers: dict[str, str]


@dataclass
class FakeLineApi:
    """The fake server; `start()` it and point `LINE_API_BASE_URL` at `base_url`."""

    access_token: str = ACCESS_TOKEN
    requests: list[Request] = field(default_factory=list)
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    rich_menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    rich_menu_images: dict[str, bytes] = field(default_factory=dict)
    default_rich_menu: str | None = None
    user_rich_menus: dict[str, str] = field(default_factory=dict)
    contents: dict[str, _Content] = field(default_factory=dict)  # message id → what was sent
    delays: dict[str, float] = field(default_factory=dict)  # endpoint → seconds before answering
    limits: dict[str, Limit] | None = field(default_factory=lambda: dict(LINE_LIMITS))
    limiter: RateLimiter = field(default_factory=RateLimiter)
    _failures: dict[str, deque[_Failure]] = field(default_factory=lambda: defaultdict(deque))
    _used_reply_tokens: set[str] = field(default_factory=set)
    _retry_keys: set[str] = field(default_factory=set)
    _server: LoopbackServer = field(default_factory=LoopbackServer)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application()
        routes = [
            ("POST", "/v2/bot/message/reply", "reply", self._reply),
            ("POST", "/v2/bot/message/push", "push", self._push),
            ("POST", "/v2/bot/message/multicast", "multicast", self._multicast),
            ("GET", "/v2/bot/profile/{user}", "profile", self._profile),
            ("GET", "/v2/bot/group/{group}/summary", "group_summary", self._group_summary),
            ("GET", "/v2/bot/group/{group}/member/{user}", "group_member", self._group_member),
            ("GET", "/v2/bot/richmenu/list", "richmenu_list", self._richmenu_list),
            ("POST", "/v2/bot/richmenu", "richmenu_create", self._richmenu_create),
            ("POST", "/v2/bot/richmenu/bulk/link", "richmenu_link", self._richmenu_link),
            ("POST", "/v2/bot/richmenu/bulk/unlink", "richmenu_unlink", self._richmenu_unlink),
            ("POST", "/v2/bot/richmenu/{menu}/content", "richmenu_image", self._richmenu_image),
            ("DELETE", "/v2/bot/richmenu/{menu}", "richmenu_delete", self._richmenu_delete),
            ("GET", "/v2/bot/user/all/richmenu", "richmenu_default", self._default_get),
            (
                "POST",
                "/v2/bot/user/all/richmenu/{menu}",
                "richmenu_set_default",
                self._default_set,
            ),
            ("GET", "/v2/bot/user/{user}/richmenu", "richmenu_of_user", self._user_menu),
            ("GET", "/v2/bot/message/{message}/content", "content", self._content),
        ]
        for method, path, endpoint, handler in routes:
            app.router.add_route(method, path, self._recorded(endpoint, handler))
        await self._server.start(app)

    async def stop(self) -> None:
        """Stop listening."""
        await self._server.stop()

    @property
    def base_url(self) -> str:
        """What LINE_API_BASE_URL should be."""
        return f"http://127.0.0.1:{self._server.port}"

    # --- scripting ----------------------------------------------------------------------------

    def fail(
        self,
        endpoint: str,
        status: int,
        message: str,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` calls of `endpoint` (e.g. "push") with this error."""
        for _ in range(times):
            self._failures[endpoint].append(_Failure(status, message, headers or {}))

    def add_content(
        self, message_id: str, data: bytes, content_type: str, *, chunked: bool = False
    ) -> None:
        """What someone sent in message `message_id`: served from the content endpoint, with
        its Content-Length unless `chunked`."""
        self.contents[message_id] = _Content(data, content_type, chunked)

    # --- reading what happened ----------------------------------------------------------------

    def calls(self, endpoint: str) -> list[Request]:
        """Every request to `endpoint`, in order (refused ones included)."""
        return [r for r in self.requests if r.endpoint == endpoint]

    def accepted(self, endpoint: str) -> list[Request]:
        """The requests to `endpoint` that LINE accepted (2xx), in order."""
        return [r for r in self.calls(endpoint) if 200 <= r.status < 300]

    def sent(self, endpoint: str) -> list[dict[str, Any]]:
        """The messages of every accepted reply or push, flattened in order."""
        return [
            message
            for request in self.accepted(endpoint)
            if request.json and "messages" in request.json
            for message in request.json["messages"]
        ]

    @property
    def throttled(self) -> int:
        """How many requests were answered 429 for coming too fast."""
        return self.limiter.refused.total()

    @property
    def writes(self) -> list[Request]:
        """Requests that would change something at LINE (everything but reads)."""
        return [r for r in self.requests if r.method != "GET"]

    # --- plumbing ------------------------------------------------------------------------------

    def _recorded(self, endpoint: str, handler: Any) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            raw = await request.read()
            try:
                document = (
                    json.loads(raw) if raw and request.content_type.endswith("json") else None
                )
            except ValueError:
                document = None
            record = Request(
                endpoint=endpoint,
                method=request.method,
                path=request.path,
                headers={k.lower(): v for k, v in request.headers.items()},
                json=document,
                body=raw,
            )
            self.requests.append(record)
            response = await self._answer(endpoint, handler, request, document)
            response.headers.setdefault("x-line-request-id", str(uuid.uuid4()))
            record.status = response.status
            return response

        return handle

    async def _answer(
        self, endpoint: str, handler: Any, request: web.Request, document: Any
    ) -> web.StreamResponse:
        """What LINE would answer, in the order it checks: token, scripted failures, rate, body."""
        if endpoint in self.delays:
            await asyncio.sleep(self.delays[endpoint])
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return _error(401, "Authentication failed")
        if self._failures[endpoint]:
            failure = self._failures[endpoint].popleft()
            return _error(failure.status, failure.message, failure.headers)
        limit = (self.limits or {}).get(endpoint)
        if limit is not None and self.limiter.admit((endpoint, None, limit)):
            return _error(429, RATE_LIMITED)
        response: web.StreamResponse = await handler(request, document)
        return response

    async def _reply(self, _request: web.Request, document: Any) -> web.StreamResponse:
        token = document.get("replyToken")
        if token in self._used_reply_tokens:
            return _error(400, INVALID_REPLY_TOKEN)
        problems = _check_messages(document.get("messages"))
        if problems:
            return _error(400, "The request body has 1 error(s)", details=problems)
        self._used_reply_tokens.add(token)
        return _sent(document["messages"])

    async def _push(self, request: web.Request, document: Any) -> web.StreamResponse:
        key = request.headers.get("X-Line-Retry-Key")
        if key is not None and key in self._retry_keys:
            return _error(
                409, "The retry key is already accepted", {"x-line-accepted-request-id": "x"}
            )
        problems = _check_messages(document.get("messages"))
        if not isinstance(document.get("to"), str):
            problems.append("to: must be a user, group or room id")
        if problems:
            return _error(400, "The request body has 1 error(s)", details=problems)
        if key is not None:
            self._retry_keys.add(key)
        return _sent(document["messages"])

    async def _multicast(self, request: web.Request, document: Any) -> web.StreamResponse:
        key = request.headers.get("X-Line-Retry-Key")
        if key is not None and key in self._retry_keys:
            return _error(409, "The retry key is already accepted")
        problems = _check_messages(document.get("messages"))
        if not 1 <= len(document.get("to", [])) <= 500:
            problems.append("to: 1 to 500 user ids")
        if problems:
            return _error(400, "The request body has 1 error(s)", details=problems)
        if key is not None:
            self._retry_keys.add(key)
        return web.json_response({})

    async def _profile(self, request: web.Request, _document: Any) -> web.StreamResponse:
        profile = self.profiles.get(request.match_info["user"])
        if profile is None:
            return _error(404, "Not found")
        return web.json_response({"userId": request.match_info["user"], **profile})

    async def _group_summary(self, request: web.Request, _document: Any) -> web.StreamResponse:
        group = request.match_info["group"]
        if group not in self.groups:
            return _error(404, "Not found")
        return web.json_response({"groupId": group, "groupName": self.groups[group]})

    async def _group_member(self, request: web.Request, _document: Any) -> web.StreamResponse:
        profile = self.profiles.get(request.match_info["user"])
        if profile is None:
            return _error(404, "Not found")
        name = profile["displayName"]
        return web.json_response({"userId": request.match_info["user"], "displayName": name})

    async def _richmenu_list(self, _request: web.Request, _document: Any) -> web.StreamResponse:
        menus = [{"richMenuId": key, **menu} for key, menu in self.rich_menus.items()]
        return web.json_response({"richmenus": menus})

    async def _richmenu_create(self, _request: web.Request, document: Any) -> web.StreamResponse:
        problems = []
        if graphemes.count(document.get("chatBarText", "")) > 14:
            problems.append("chatBarText: at most 14 characters")
        for area in document.get("areas", []):
            if graphemes.count(area["action"].get("label", "")) > MAX_LABEL:
                problems.append("areas.action.label: at most 20 characters")
        if problems:
            return _error(400, "The request body has 1 error(s)", details=problems)
        menu_id = f"richmenu-{uuid.uuid4().hex}"
        self.rich_menus[menu_id] = document
        return web.json_response({"richMenuId": menu_id})

    async def _richmenu_image(self, request: web.Request, _document: Any) -> web.StreamResponse:
        menu = request.match_info["menu"]
        if menu not in self.rich_menus:
            return _error(404, "Not found")
        if request.content_type != "image/png":
            return _error(415, "Unsupported Media Type")
        if menu in self.rich_menu_images:
            return _error(400, "An image has already been uploaded to the richmenu")
        self.rich_menu_images[menu] = await request.read()
        return web.json_response({})

    async def _richmenu_delete(self, request: web.Request, _document: Any) -> web.StreamResponse:
        menu = request.match_info["menu"]
        if self.rich_menus.pop(menu, None) is None:
            return _error(404, "Not found")
        self.user_rich_menus = {u: m for u, m in self.user_rich_menus.items() if m != menu}
        if self.default_rich_menu == menu:
            self.default_rich_menu = None
        return web.json_response({})

    async def _default_get(self, _request: web.Request, _document: Any) -> web.StreamResponse:
        if self.default_rich_menu is None:
            return _error(404, "no default richmenu")
        return web.json_response({"richMenuId": self.default_rich_menu})

    async def _default_set(self, request: web.Request, _document: Any) -> web.StreamResponse:
        menu = request.match_info["menu"]
        if menu not in self.rich_menu_images:
            return _error(400, "must upload richmenu image before applying it to user")
        self.default_rich_menu = menu
        return web.json_response({})

    async def _user_menu(self, request: web.Request, _document: Any) -> web.StreamResponse:
        menu = self.user_rich_menus.get(request.match_info["user"])
        if menu is None:
            return _error(404, "the user has no richmenu")
        return web.json_response({"richMenuId": menu})

    async def _content(self, request: web.Request, _document: Any) -> web.StreamResponse:
        content = self.contents.get(request.match_info["message"])
        if content is None:
            return _error(404, "Not found")
        if not content.chunked:
            return web.Response(body=content.data, content_type=content.content_type)
        response = web.StreamResponse(headers={"Content-Type": content.content_type})
        response.enable_chunked_encoding()
        response.headers["x-line-request-id"] = str(uuid.uuid4())
        await response.prepare(request)
        for start in range(0, len(content.data), 16 * 1024):
            await response.write(content.data[start : start + 16 * 1024])
        await response.write_eof()
        return response

    async def _richmenu_link(self, _request: web.Request, document: Any) -> web.StreamResponse:
        menu = document["richMenuId"]
        if menu not in self.rich_menu_images:
            return _error(400, "must upload richmenu image before applying it to user")
        for user in document["userIds"]:
            self.user_rich_menus[user] = menu
        return web.json_response({}, status=202)

    async def _richmenu_unlink(self, _request: web.Request, document: Any) -> web.StreamResponse:
        for user in document["userIds"]:
            self.user_rich_menus.pop(user, None)
        return web.json_response({}, status=202)


def _error(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    details: list[str] | None = None,
) -> web.Response:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = [{"message": d, "property": "messages"} for d in details]
    response = web.json_response(body, status=status)
    response.headers["x-line-request-id"] = str(uuid.uuid4())
    response.headers.update(headers or {})
    return response


def _sent(messages: list[dict[str, Any]]) -> web.Response:
    sent = [{"id": str(uuid.uuid4().int)[:18], "quoteToken": uuid.uuid4().hex} for _ in messages]
    return web.json_response({"sentMessages": sent})


def _check_messages(messages: Any) -> list[str]:
    """What LINE would refuse in `messages`: counts and the documented length limits."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return ["messages: 1 to 5 messages per request"]
    problems: list[str] = []
    for message in messages:
        if message.get("type") == "text" and graphemes.utf16_length(message["text"]) > MAX_TEXT:
            problems.append("messages.text: at most 5000 characters")
        items = (message.get("quickReply") or {}).get("items", [])
        if len(items) > 13:
            problems.append("quickReply.items: at most 13")
        actions = [item["action"] for item in items]
        if message.get("type") == "flex":
            if graphemes.utf16_length(message.get("altText", "")) > 400:
                problems.append("altText: at most 400 characters")
            size = len(json.dumps(message["contents"], ensure_ascii=False).encode())
            limit = 50_000 if message["contents"].get("type") == "carousel" else 30_000
            if size > limit:
                problems.append(f"contents: {size} bytes is over {limit}")
            actions.extend(actions_of(message["contents"]))
        for action in actions:
            if graphemes.count(action.get("label", "")) > MAX_LABEL:
                problems.append(f"action.label: {action['label']!r} is over 20 characters")
            if len(action.get("data", "")) > 300:
                problems.append("action.data: at most 300 characters")
            if action.get("type") == "postback" and items and "displayText" not in action:
                problems.append("quick reply postbacks need displayText")
    return problems


def actions_of(node: Any) -> list[dict[str, Any]]:
    """Every action (button, quick reply, tap area) anywhere inside a LINE message."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("action"), dict):
            found.append(node["action"])
        for value in node.values():
            found.extend(actions_of(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(actions_of(item))
    return found
