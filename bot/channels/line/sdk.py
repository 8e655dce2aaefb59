"""The LINE SDK (v3, asyncio), imported on first use, with what we add to its client.

The only module that imports `linebot`: the SDK costs half a second and about 45 MB to import,
and a bot that only acknowledges webhooks never needs it. The first call (a send, a profile, a
rich menu, a file someone sent) imports it in a worker thread (`SDK.load`), so the event loop
goes on serving meanwhile. bot/channels/line/api.py wraps it in a small typed surface.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bot.imports import OnFirstUse


@dataclass(frozen=True, slots=True)
class Sdk:
    """What we use of the SDK and its HTTP library, once imported."""

    messaging: ModuleType  # linebot.v3.messaging: the clients, request models and ApiException
    http_error: type[Exception]  # aiohttp.ClientError: no answer
    client: type[Any]  # the AsyncApiClient for the API host
    streaming_client: type[Any]  # an AsyncApiClient that can hand back an unread response
    as_sent: Callable[[str, dict[str, Any]], Any]  # a request model serialised as given


class _Unread:
    """An aiohttp response not read yet, shaped as the SDK's generated code expects a response.

    The async client's `_preload_content=False` hands the raw aiohttp response to code written
    for urllib3's (`getheaders()`, `.data`) and fails; so `get_message_content_with_http_info`
    could only read a file whole. Through this its `raw_data` is the unread response: read as it
    streams, and dropped past the size a caller takes.
    """

    def __init__(self, response: Any) -> None:
        self.status = response.status
        self.reason = response.reason
        self.data = response
        self._headers = response.headers

    def getheaders(self) -> Any:
        return self._headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self._headers.get(name, default)  # type: ignore[no-any-return]


class AsSent:
    """Marks a request model made by `as_sent`: its JSON is the document it was made from."""

    def to_dict(self) -> dict[str, Any]:
        """The document (each model made by `as_sent` keeps its own)."""
        raise NotImplementedError


def _import() -> Sdk:
    import aiohttp
    from linebot.v3 import messaging  # type: ignore[import-untyped]  # the SDK ships no types

    class ApiClient(messaging.AsyncApiClient):  # type: ignore[misc]  # untyped SDK
        """The SDK's client, sending a request made by `as_sent` as the JSON it already is.

        The SDK would walk the whole document again, node by node, to "sanitize" it. And its
        HTTP session trusts the environment, so aiohttp reads ~/.netrc and the proxy variables
        on every request: with no proxy set when the client is made, it does not.
        """

        def __init__(self, configuration: Any) -> None:
            super().__init__(configuration)
            if not urllib.request.getproxies():
                self.rest_client.pool_manager._trust_env = False

        def sanitize_for_serialization(self, obj: Any) -> Any:
            if isinstance(obj, AsSent):
                return obj.to_dict()
            return super().sanitize_for_serialization(obj)

    class StreamingApiClient(ApiClient):
        """The SDK's client, with `_preload_content=False` giving the response unread."""

        async def request(self, *args: Any, _preload_content: bool = True, **kwargs: Any) -> Any:
            response = await super().request(*args, _preload_content=_preload_content, **kwargs)
            return response if _preload_content else _Unread(response)

    from pydantic.v1 import PrivateAttr

    presented: dict[str, type[Any]] = {}

    def as_sent(model: str, document: dict[str, Any]) -> Any:
        """`model` (the SDK checks its type) serialised as `document`, without pydantic."""
        if model not in presented:

            class Presented(AsSent, getattr(messaging, model)):  # type: ignore[misc]
                _document: dict[str, Any] = PrivateAttr(default_factory=dict)

                def to_dict(self) -> dict[str, Any]:
                    return self._document

            presented[model] = Presented
        request = presented[model].construct()
        request._document = document
        return request

    return Sdk(
        messaging=messaging,
        http_error=aiohttp.ClientError,
        client=ApiClient,
        streaming_client=StreamingApiClient,
        as_sent=as_sent,
    )


SDK = OnFirstUse(_import)
