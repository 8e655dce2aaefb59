"""Conversation state as named steps (`StrEnum`) stored in the database.

A step's value is `"<flow>.<step>"`, so the flow is known from the step alone and a renamed
member shows up as an unknown step (treated as no state) instead of a silent mismatch.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ConversationState
from db.repositories.conversations import clear_state, save_state

DEFAULT_TTL = timedelta(minutes=30)


def flow_of(step: StrEnum) -> str:
    """The flow part of a step value."""
    return step.value.split(".", 1)[0]


class StateStore:
    """The current identity's step and data, read once per event, written through."""

    def __init__(
        self,
        *,
        session: AsyncSession,
        identity_id: int,
        row: ConversationState | None,
        now: datetime,
    ) -> None:
        self._session = session
        self._identity_id = identity_id
        self._row = row
        self._now = now

    @property
    def row(self) -> ConversationState | None:
        """The stored state as it stands now (None outside any flow)."""
        return self._row

    @property
    def step(self) -> str | None:
        """The current step value, or None outside any flow."""
        return self._row.step if self._row is not None else None

    @property
    def data(self) -> dict[str, Any]:
        """The data the flow carries between steps (a copy: change it through `go`)."""
        return dict(self._row.data) if self._row is not None else {}

    def at(self, step: StrEnum) -> bool:
        """Whether the identity is at `step`."""
        return self.step == step.value

    async def go(
        self, step: StrEnum, data: dict[str, Any] | None = None, ttl: timedelta = DEFAULT_TTL
    ) -> None:
        """Move to `step`, replacing the data (or keeping it when `data` is None)."""
        self._row = await save_state(
            session=self._session,
            identity_id=self._identity_id,
            flow=flow_of(step),
            step=step.value,
            data=self.data if data is None else data,
            expires_at=self._now + ttl,
            now=self._now,
        )

    async def clear(self) -> None:
        """Leave the flow."""
        if self._row is not None:
            await clear_state(session=self._session, identity_id=self._identity_id)
            self._row = None
