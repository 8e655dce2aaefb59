"""The LINE Messaging API through the official SDK (v3, asyncio), behind a small typed surface.

The SDK itself is imported on first use (bot/channels/line/sdk.py). Every call carries a
request timeout (the SDK's own default is five minutes), and every failure comes out as
`LineApiError` (LINE answered with an error status) or `LineUnavailable` (no answer: timeout,
connection refused or reset), so the channel can decide between retrying, failing and pausing
without knowing the SDK.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.line.sdk import SDK, Sdk
from bot.core.files import FileTooLarge

log = logging.getLogger(__name__)

CHECKED_MESSAGES = 1_000  # distinct messages remembered as valid (menus, common answers)
CHUNK_BYTES = 64 * 1024  # a file someone sent is read in pieces of this size
ERROR_BODY_BYTES = 64 * 1024  # of an error answer to a download, at most this much is read


@dataclass(frozen=True, slots=True)
class LineApiError(Exception):
    """LINE answered with an error status."""

    status: int
    message: str
    request_id: str | None = None
    retry_after: float | None = None
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        details = f" ({'; '.join(self.details)})" if self.details else ""
        request = f" [x-line-request-id {self.request_id}]" if self.request_id else ""
        return f"LINE {self.status}: {self.message}{details}{request}"


class LineUnavailable(Exception):
    """LINE did not answer in time, or the connection failed."""


class InvalidRequest(ValueError):
    """The SDK refused to build a request from our messages: a rendering bug, never retried."""


@dataclass(frozen=True, slots=True)
class Profile:
    """What LINE tells about a user."""

    display_name: str | None
    language: str | None


@dataclass(frozen=True, slots=True)
class RichMenu:
    """A rich menu as LINE lists it."""

    rich_menu_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Content:
    """A file someone sent, as LINE's content host gave it."""

    data: bytes
    content_type: str | None  # what LINE says it is (the media store trusts the bytes instead)


@dataclass(frozen=True, slots=True)
class _Clients:
    """One channel's SDK clients: the API host, and the data host for uploads."""

    sdk: Sdk
    api: Any  # AsyncMessagingApi
    blob: Any  # AsyncMessagingApiBlob
    http: tuple[Any, Any]  # their AsyncApiClients, closed with the channel


def _api_error(error: Any) -> LineApiError:
    """The SDK's ApiException as our error."""
    return _error_of(error.status, error.reason, error.headers or {}, error.body)


def _error_of(
    status: int | None, reason: str | None, headers: Mapping[str, str], raw: str | bytes | None
) -> LineApiError:
    """An error status LINE answered: its message, details, request id and Retry-After."""
    message = str(reason or "")
    details: tuple[str, ...] = ()
    try:
        body = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        body = {}
    if isinstance(body, dict):
        message = str(body.get("message") or message)
        details = tuple(
            f"{d.get('property', '')}: {d.get('message', '')}".strip(": ")
            for d in body.get("details") or ()
            if isinstance(d, dict)
        )
    retry_after: float | None = None
    try:
        retry_after = float(headers["Retry-After"]) if "Retry-After" in headers else None
    except ValueError:
        retry_after = None
    return LineApiError(
        status=int(status or 0),
        message=message,
        request_id=headers.get("x-line-request-id"),
        retry_after=retry_after,
        details=details,
    )


async def _read_at_most(response: Any, max_bytes: int) -> bytes:
    """The body of an aiohttp response, or FileTooLarge once it passes `max_bytes`."""
    if response.content_length is not None and response.content_length > max_bytes:
        raise FileTooLarge(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise FileTooLarge(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


class LineApi:
    """One LINE channel's Messaging API client: made on the first call, `close` at the end."""

    def __init__(
        self, *, access_token: str, base_url: str, data_base_url: str, timeout: float
    ) -> None:
        self._access_token = access_token
        self._base_url = base_url.rstrip("/")
        self._data_base_url = data_base_url.rstrip("/")
        self._timeout = timeout
        self._clients: _Clients | None = None
        self._closed = False
        # Messages the SDK validated, by identity: `render.requests_for` shares its messages.
        self._checked: OrderedDict[int, Mapping[str, Any]] = OrderedDict()

    @property
    def data_base_url(self) -> str:
        """LINE's content host (LINE_DATA_API_BASE_URL): files people send, rich menu images."""
        return self._data_base_url

    async def _open(self) -> _Clients:
        """The clients, made on first use (importing the SDK off the loop the first time)."""
        sdk = await SDK.load()
        if self._closed:
            raise LineUnavailable("the LINE client is closed")
        if self._clients is None:  # no await since the check: made once, in the loop
            http = tuple(
                client(sdk.messaging.Configuration(host=host, access_token=self._access_token))
                for client, host in (
                    (sdk.client, self._base_url),
                    (sdk.streaming_client, self.data_base_url),
                )
            )
            self._clients = _Clients(
                sdk=sdk,
                api=sdk.messaging.AsyncMessagingApi(http[0]),
                blob=sdk.messaging.AsyncMessagingApiBlob(http[1]),
                http=(http[0], http[1]),
            )
        return self._clients

    async def close(self) -> None:
        """Close the HTTP clients, if any were made; safe to call twice."""
        clients, self._clients, self._closed = self._clients, None, True
        if clients is not None:
            for client in clients.http:
                await client.close()

    async def _call(
        self, method: str, *args: Any, upload: bool = False, checked: bool = False, **kwargs: Any
    ) -> Any:
        """Call the SDK's `method` (of the upload client if `upload`) with our timeout.

        `checked`: the request was made by `_sending`, checked already. pydantic's check of
        the call's arguments (twice a send: the method and the `_with_http_info` it calls)
        then goes: the SDK's functions as written, under pydantic's `validate_arguments`,
        are its `raw_function`.
        """
        clients = await self._open()
        client = clients.blob if upload else clients.api
        call = getattr(client, method)
        if checked:
            unchecked = getattr(type(client), f"{method}_with_http_info", None)
            raw = getattr(unchecked, "raw_function", None)
            if raw is not None:
                call = functools.partial(raw, client, _return_http_data_only=True)
        try:
            return await call(*args, _request_timeout=self._timeout, **kwargs)
        except clients.sdk.messaging.ApiException as error:
            raise _api_error(error) from None
        except (TimeoutError, clients.sdk.http_error) as error:
            raise LineUnavailable(f"{type(error).__name__}: {error}") from None

    @staticmethod
    async def _request(model: str, document: Mapping[str, Any]) -> Any:
        """The SDK's request `model` for `document`, validated as the SDK validates it."""
        sdk = await SDK.load()
        try:
            return getattr(sdk.messaging, model).from_dict(dict(document))
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            raise InvalidRequest(f"{model}: {error}") from None

    async def _sending(self, model: str, document: Mapping[str, Any]) -> Any:
        """A send's request `model` for `document` (its `messages` checked by the SDK's models).

        The hot path: the SDK validates a Flex message and turns it back into JSON through
        pydantic on every call, which cost more than the rest of a reply (about 0.6 ms of a
        help menu). Here each message is validated once (the same menu goes to many people,
        rendered once: `render.requests_for`) and the request is serialised from `document`,
        which is already LINE's JSON; the SDK's client still sends it (auth, timeouts, errors).
        """
        sdk = await SDK.load()
        for message in document["messages"]:
            if self._checked.get(id(message)) is message:  # this very message, checked before
                self._checked.move_to_end(id(message))
                continue
            try:
                sdk.messaging.Message.from_dict(message)
            except ValueError as error:  # pydantic's ValidationError is a ValueError
                raise InvalidRequest(f"{model}: {error}") from None
            self._checked[id(message)] = message  # held, so that its id is not reused
            if len(self._checked) > CHECKED_MESSAGES:
                self._checked.popitem(last=False)
        return sdk.as_sent(model, dict(document))

    @staticmethod
    def _sent_ids(response: Any) -> list[str]:
        sent = getattr(response, "sent_messages", None) or []
        return [str(message.id) for message in sent if getattr(message, "id", None)]

    async def reply(self, reply_token: str, messages: Sequence[Mapping[str, Any]]) -> list[str]:
        """Answer an event with its reply token (free); the ids of the sent messages."""
        request = await self._sending(
            "ReplyMessageRequest", {"replyToken": reply_token, "messages": list(messages)}
        )
        return self._sent_ids(await self._call("reply_message", request, checked=True))

    async def push(
        self, to: str, messages: Sequence[Mapping[str, Any]], *, retry_key: str
    ) -> list[str]:
        """Send to one user, group or room; the same `retry_key` is never delivered twice."""
        request = await self._sending("PushMessageRequest", {"to": to, "messages": list(messages)})
        response = await self._call(
            "push_message", request, checked=True, x_line_retry_key=retry_key
        )
        return self._sent_ids(response)

    async def multicast(
        self, to: Sequence[str], messages: Sequence[Mapping[str, Any]], *, retry_key: str
    ) -> None:
        """Send to up to 500 users at once."""
        request = await self._request(
            "MulticastRequest", {"to": list(to), "messages": list(messages)}
        )
        await self._call("multicast", request, x_line_retry_key=retry_key)

    async def profile(self, user_id: str) -> Profile:
        """A friend's display name and language."""
        found = await self._call("get_profile", user_id)
        return Profile(found.display_name, getattr(found, "language", None))

    async def member_profile(self, chat_id: str, user_id: str, *, room: bool) -> Profile:
        """The display name of someone in a group or room (who may not be a friend)."""
        if room:
            found = await self._call("get_room_member_profile", chat_id, user_id)
        else:
            found = await self._call("get_group_member_profile", chat_id, user_id)
        return Profile(found.display_name, None)

    async def group_name(self, group_id: str) -> str:
        """A group's name."""
        return str((await self._call("get_group_summary", group_id)).group_name)

    async def rich_menus(self) -> list[RichMenu]:
        """Every rich menu of the channel."""
        found = await self._call("get_rich_menu_list")
        return [RichMenu(m.rich_menu_id, m.name) for m in found.richmenus or []]

    async def create_rich_menu(self, menu: Mapping[str, Any]) -> str:
        """Create a rich menu (without its image); its id."""
        request = await self._request("RichMenuRequest", menu)
        return str((await self._call("create_rich_menu", request)).rich_menu_id)

    async def upload_rich_menu_image(self, rich_menu_id: str, image: bytes) -> None:
        """Attach the PNG a rich menu shows."""
        await self._call(
            "set_rich_menu_image",
            rich_menu_id,
            image,
            upload=True,
            _headers={"Content-Type": "image/png"},
        )

    async def message_content(self, message_id: str, *, max_bytes: int) -> Content:
        """The image, video, audio or file of a message someone sent, from the content host.

        Read as it streams: FileTooLarge as soon as LINE announces or sends more than
        `max_bytes`, the rest left unread. LINE keeps the content for a while after the message
        (LineApiError 404 once it is gone); LineUnavailable when no answer comes.
        """
        clients = await self._open()
        try:
            answer = await clients.blob.get_message_content_with_http_info(
                message_id, _preload_content=False, _request_timeout=self._timeout
            )
            response = answer.raw_data  # aiohttp's response, its body unread
            try:
                if response.status != 200:
                    raw = await response.content.read(ERROR_BODY_BYTES)
                    raise _error_of(response.status, response.reason, response.headers, raw)
                data = await _read_at_most(response, max_bytes)
            finally:
                response.release()  # back to the pool when read to the end, else closed
        except (TimeoutError, clients.sdk.http_error) as error:
            raise LineUnavailable(f"{type(error).__name__}: {error}") from None
        declared = response.headers.get("Content-Type")
        content_type = declared.split(";", 1)[0].strip().lower() if declared else None
        return Content(data=data, content_type=content_type or None)

    async def delete_rich_menu(self, rich_menu_id: str) -> None:
        """Delete a rich menu (users linked to it fall back to the default)."""
        await self._call("delete_rich_menu", rich_menu_id)

    async def default_rich_menu(self) -> str | None:
        """The default rich menu's id, or None when there is none."""
        try:
            return str((await self._call("get_default_rich_menu_id")).rich_menu_id)
        except LineApiError as error:
            if error.status == 404:
                return None
            raise

    async def set_default_rich_menu(self, rich_menu_id: str) -> None:
        """Show this menu to everyone without a menu of their own."""
        await self._call("set_default_rich_menu", rich_menu_id)

    async def user_rich_menu(self, user_id: str) -> str | None:
        """The menu linked to one user, or None when they see the default."""
        try:
            return str((await self._call("get_rich_menu_id_of_user", user_id)).rich_menu_id)
        except LineApiError as error:
            if error.status == 404:
                return None
            raise

    async def link_rich_menu(self, rich_menu_id: str, user_ids: Sequence[str]) -> None:
        """Link a menu to up to 500 users."""
        request = await self._request(
            "RichMenuBulkLinkRequest", {"richMenuId": rich_menu_id, "userIds": list(user_ids)}
        )
        await self._call("link_rich_menu_id_to_users", request)

    async def unlink_rich_menu(self, user_ids: Sequence[str]) -> None:
        """Return up to 500 users to the default menu."""
        request = await self._request("RichMenuBulkUnlinkRequest", {"userIds": list(user_ids)})
        await self._call("unlink_rich_menu_id_from_users", request)
