"""The materials' buttons: browse by workshop session or by domain, page by page."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from bot.core.payloads import MaxBytes, Payload


class Browse(StrEnum):
    """The two ways to browse."""

    SESSIONS = "sessions"
    DOMAINS = "domains"


class BrowseBy(Payload, prefix="mat"):
    """Show the sessions or the domains to pick from (`mat:sessions`)."""

    by: Browse


class SessionPage(Payload, prefix="mat:s"):
    """One page of a workshop session's materials (`mat:s:3:1`)."""

    session_id: int
    page: int = 0


class DomainPage(Payload, prefix="mat:d"):
    """One page of a domain's materials (`mat:d:energy:1`)."""

    slug: Annotated[str, MaxBytes(24)]
    page: int = 0
