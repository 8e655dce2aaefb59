"""Bodies an attacker holding the secret could sign: Hypothesis strategies and helpers shared by
both channels' fuzz and regression tests (issue 11, D1)."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.enums import InboxStatus
from db.models import InboundEvent

# At and past the ends of a 64-bit integer, and past a datetime's range either way.
EDGE_INTEGERS = (2**63, -(2**63), 2**63 - 1, 2**64, 10**30, -(10**30), 253402300800000)
# Any JSON value Python can write, NaN, infinities and lone surrogates included.
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(EDGE_INTEGERS)
    | st.floats()
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
DEEP_MARK = "<deep>"
# A few hundred examples per channel within seconds; the same ones on every CI run.
FUZZ_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize="CI" in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def deep(levels: int) -> str:
    """A JSON array nested `levels` deep."""
    return "[" * levels + "]" * levels


def replaced(document: dict[str, Any], path: Sequence[str], value: Any) -> dict[str, Any]:
    """`document` with the field at `path` set to `value` (objects made on the way as needed)."""
    node = document
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value
    return document


def encoded(document: Any) -> bytes:
    """`document` as a body, the way a careless signer would write it (NaN and all)."""
    return json.dumps(document).encode()


def bodies(
    valid: st.SearchStrategy[dict[str, Any]],
    paths: Sequence[Sequence[str]],
    wrap: Callable[[list[Any]], Any],
) -> st.SearchStrategy[bytes]:
    """Signed-body material: valid payloads with one field made hostile, wrapped by `wrap`
    (LINE: a batch of events; Telegram: one update), arbitrary JSON, deep nesting, raw bytes."""
    mutated = st.builds(replaced, valid, st.sampled_from(paths), JSON_VALUES)
    documents = st.lists(st.one_of(valid, mutated, mutated, JSON_VALUES), max_size=3).map(wrap)
    # A field nested thousands deep: past what json and SQLite's JSON functions can recurse.
    marked = st.builds(replaced, valid, st.sampled_from(paths), st.just(DEEP_MARK))
    nested = st.builds(
        lambda document, levels: (
            json.dumps(wrap([document])).replace(json.dumps(DEEP_MARK), deep(levels)).encode()
        ),
        marked,
        st.integers(1, 3000),
    )
    return st.one_of(
        documents.map(encoded),
        documents.map(encoded),
        JSON_VALUES.map(encoded),
        nested,
        st.binary(max_size=64),
        st.text(max_size=40).map(lambda text: text.encode("utf-16")),
    )


async def rows_by_status(sessions: async_sessionmaker[AsyncSession]) -> dict[InboxStatus, int]:
    """How many inbox rows are in each state."""
    async with sessions() as session:
        counted = await session.execute(
            select(InboundEvent.status, func.count()).group_by(InboundEvent.status)
        )
    return {status: int(count) for status, count in counted.all()}


def drawn(strategy: st.SearchStrategy[bytes]) -> list[bytes]:
    """The examples Hypothesis draws from `strategy` under FUZZ_SETTINGS, to post in one app
    (which must still answer afterwards) rather than one example at a time."""
    found: list[bytes] = []

    @FUZZ_SETTINGS
    @given(strategy)
    def draw(raw: bytes) -> None:
        found.append(raw)

    draw()
    return found


async def chunks(total: int, size: int, pulled: list[int]) -> AsyncIterator[bytes]:
    """`total` bytes in chunks of `size` (a chunked upload), counting into `pulled` as read."""
    for _ in range(0, total, size):
        pulled.append(size)
        yield b"x" * size
