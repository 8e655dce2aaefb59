"""Announcements' buttons: the writing flow's steps and pickers, and the admins' decisions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from bot.core.payloads import MaxBytes, Payload
from db.repositories.audiences import AudienceKind

# The audience buttons: their text under `announce.choose`, and the audience they pick.
AUDIENCE_BUTTONS: tuple[tuple[str, AudienceKind, str], ...] = (
    ("all", AudienceKind.ALL, ""),
    ("executives", AudienceKind.ROLE, "executive"),
    ("officers", AudienceKind.ROLE, "officer"),
    ("partners", AudienceKind.ROLE, "partner"),
    ("entrants", AudienceKind.ENTRANTS, ""),
)


class Step(StrEnum):
    """A button of the writing flow that needs nothing more."""

    DOMAINS = "domains"
    SEND = "send"
    SCHEDULE = "schedule"
    DISCARD = "discard"


class StepPressed(Payload, prefix="ann"):
    """`ann:send`, `ann:schedule`, `ann:discard`, `ann:domains`."""

    step: Step


class AudiencePicked(Payload, prefix="ann:aud"):
    """A common audience (everyone, a role, the entrants): `ann:aud:role:executive`."""

    kind: AudienceKind
    value: Annotated[str, MaxBytes(16)] = ""

    @property
    def spec(self) -> str:
        """The audience spec it picks."""
        return f"{self.kind.value}:{self.value}" if self.value else self.kind.value


class CityPicked(Payload, prefix="ann:city"):
    """A city (or any organisation) picked from the paged list, by id."""

    organisation_id: int


class CityPage(Payload, prefix="ann:cities"):
    """A page of the city picker."""

    page: int = 0


class DomainPicked(Payload, prefix="ann:domain"):
    """A domain picked, by id."""

    domain_id: int


class Approve(Payload, prefix="ann:approve"):
    """An admin's approve button (`ann:approve:12`); it stays valid in their chat for days."""

    announcement_id: int


class Reject(Payload, prefix="ann:reject"):
    """An admin's reject button (`ann:reject:12`)."""

    announcement_id: int
