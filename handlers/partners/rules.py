"""What an introduction's answer may say: the check every way of answering goes through, and
the refusals of the partnership use cases."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from db.enums import Language
from db.models import Member, Organisation

MAX_CONTACT_CHARS = 100


class PartnersError(Exception):
    """A request that cannot be done, and why (`reason` names the message people get).

    Reasons: `city_only`, `unknown_offer`, `not_open`, `already_interested`, `unknown_interest`,
    `not_yours`, `already_introducing`, `already_introduced`, `intro_ended`, `not_asked`,
    `already_answered`, `bad_contact`.
    """

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


_DIGITS = re.compile(r"^(\+66|0)\d{8,9}$")
_PHONE_NOISE = re.compile(r"[\s\-().]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_HANDLE = re.compile(r"^@?[A-Za-z0-9._-]{3,32}$")


def check_contact(typed: str) -> str:
    """A phone number (Thai digits too), an e-mail address, or a chat handle (@name, LINE ID)."""
    text = "".join(
        str(unicodedata.digit(ch)) if ch.isdecimal() else ch
        for ch in unicodedata.normalize("NFKC", typed.strip())
    )
    if len(text) > MAX_CONTACT_CHARS:
        raise PartnersError("bad_contact")
    if _DIGITS.match(phone := _PHONE_NOISE.sub("", text)):
        return phone
    if _EMAIL.match(text) or (
        _HANDLE.match(text) and any(ch.isalpha() for ch in text) and "@" not in text[1:]
    ):
        return text
    raise PartnersError("bad_contact")


def contact_of(member: Member, organisation: Organisation, contact: str) -> dict[str, Any]:
    """What a side shares: its name, its organisation (as it reads it) and the contact typed."""
    name = organisation.name_en if member.language is Language.EN else organisation.name_th
    return {"name": member.display_name or "", "organisation": name, "contact": contact}
