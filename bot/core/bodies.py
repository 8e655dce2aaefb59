"""Webhook bodies read within a size limit and parsed totally: whatever arrives, one known error.

A platform resends a webhook until it gets a 2xx, and anyone who holds (or guesses) a secret can
sign any bytes; so a body is refused as too large before it is read whole, and a body that is not
JSON the inbox can store (too deep, NaN, a lone surrogate, a NUL the database refuses) is one
`MalformedBody` — a 400 with its reason — instead of an exception escaping as a 500 or a commit
that fails for every request sharing it.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.requests import Request

# Platforms nest a handful of levels; far below json's and SQLite's JSON recursion limits.
MAX_DEPTH = 32
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What a JSON text may spell only as an escape and the database refuses to store in a string.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BodyTooLarge(Exception):
    """A request body over the configured limit (413); nothing of it is kept."""


class MalformedBody(ValueError):
    """A body (or a part of it) that is not what the platform sends; the message says why."""


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused (BodyTooLarge) once it declares or streams past `limit` bytes.

    The declared length is checked before anything is read; a chunked body is counted as it
    arrives, so at most `limit` bytes plus one chunk are ever held.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"declared {declared} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"more than {limit} bytes streamed")
        chunks.append(chunk)
    return b"".join(chunks)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedBody(f"number {text[:20]} out of range")
    return value


def _constant(name: str) -> float:
    raise MalformedBody(f"{name} is not JSON")


def load_json(body: bytes) -> Any:
    """The JSON document in `body`; MalformedBody for anything the inbox could not store as is."""
    try:
        document = json.loads(body.decode("utf-8"), parse_float=_finite, parse_constant=_constant)
    except UnicodeDecodeError:
        raise MalformedBody("not UTF-8") from None
    except RecursionError:
        raise MalformedBody("nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, and ints past Python's digit limit
        raise MalformedBody(f"not JSON: {str(error)[:120]}") from None
    # Only an escape (\u…) can put a NUL or a surrogate in a string, and nesting deeper than
    # MAX_DEPTH needs more brackets than that: the walk is skipped for ordinary bodies.
    if b"\\u" in body or body.count(b"{") + body.count(b"[") > MAX_DEPTH:
        _check(document, MAX_DEPTH)
    return document


def _check(value: Any, depth: int) -> None:
    """Refuse nesting deeper than `depth` and strings the database cannot store."""
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            raise MalformedBody("a string holds a NUL or a lone surrogate")
        return
    if not isinstance(value, dict | list):
        return
    if depth == 0:
        raise MalformedBody(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth - 1)
            _check(item, depth - 1)
        return
    for item in value:
        _check(item, depth - 1)


def from_epoch(value: object, unit: timedelta) -> datetime | None:
    """`value` units after the Unix epoch as an aware UTC datetime; None unless an int in range."""
    if type(value) is not int:
        return None
    try:
        return EPOCH + value * unit
    except OverflowError:
        return None
