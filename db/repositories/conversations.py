"""Persisted conversation state: one current flow step per identity, with expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ConversationState


async def load_state(
    *, session: AsyncSession, identity_id: int, now: datetime
) -> ConversationState | None:
    """The identity's live state; an expired one is deleted and None returned."""
    state = await session.scalar(
        select(ConversationState).where(ConversationState.identity_id == identity_id)
    )
    if state is not None and state.expires_at <= now:
        await session.delete(state)
        await session.flush()
        return None
    return state


async def load_states(
    *, session: AsyncSession, identity_ids: Sequence[int], now: datetime
) -> dict[int, ConversationState | None]:
    """`load_state` for many identities at once: each one's live state, or None."""
    if not identity_ids:
        return {}
    states: dict[int, ConversationState | None] = dict.fromkeys(identity_ids)
    rows = await session.scalars(
        select(ConversationState).where(ConversationState.identity_id.in_(sorted(states)))
    )
    expired = False
    for state in rows:
        if state.expires_at <= now:
            await session.delete(state)
            expired = True
        else:
            states[state.identity_id] = state
    if expired:
        await session.flush()
    return states


async def save_state(
    *,
    session: AsyncSession,
    identity_id: int,
    flow: str,
    step: str,
    data: dict[str, Any],
    expires_at: datetime,
    now: datetime,
) -> ConversationState:
    """Set the identity's current step (replacing any other flow it was in)."""
    state = await session.scalar(
        select(ConversationState).where(ConversationState.identity_id == identity_id)
    )
    if state is None:
        state = ConversationState(identity_id=identity_id, flow=flow, step=step)
        session.add(state)
    state.flow, state.step, state.data = flow, step, dict(data)
    state.expires_at, state.updated_at = expires_at, now
    await session.flush()
    return state


async def clear_state(*, session: AsyncSession, identity_id: int) -> None:
    """Leave any flow."""
    await session.execute(
        delete(ConversationState).where(ConversationState.identity_id == identity_id)
    )
