"""The closed vocabularies of the domain, stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class OrganisationKind(StrEnum):
    """What an organisation is in the programme."""

    CITY = "city"
    PARTNER = "partner"
    AGENCY = "agency"  # depa, the programme office


class Role(StrEnum):
    """A member's one role in their organisation."""

    EXECUTIVE = "executive"
    OFFICER = "officer"
    PARTNER = "partner"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


ROLES_BY_KIND: dict[OrganisationKind, frozenset[Role]] = {
    OrganisationKind.CITY: frozenset({Role.EXECUTIVE, Role.OFFICER}),
    OrganisationKind.PARTNER: frozenset({Role.PARTNER}),
    OrganisationKind.AGENCY: frozenset({Role.COORDINATOR, Role.ADMIN}),
}
# A city's team: who reports its progress, submits its entries and hears of its deadlines.
CITY_ROLES = ROLES_BY_KIND[OrganisationKind.CITY]


class Language(StrEnum):
    """Languages the bot speaks; Thai first."""

    TH = "th"
    EN = "en"


class Channel(StrEnum):
    """Where a chat account lives."""

    LINE = "line"
    TELEGRAM = "telegram"
    CONSOLE = "console"
    SIMULATOR = "simulator"


class ChatKind(StrEnum):
    """One-to-one chats and the group forms of each platform."""

    USER = "user"
    GROUP = "group"
    ROOM = "room"


class MemberStatus(StrEnum):
    """Erased members keep their row (for anonymised city records) but nothing personal."""

    ACTIVE = "active"
    ERASED = "erased"


class PlanKind(StrEnum):
    """The three documents each city draws up with the experts."""

    POLICY = "policy"
    STRATEGIC = "strategic"
    FRAMEWORK = "framework"


class MilestoneStatus(StrEnum):
    """Where a milestone stands."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"


class MaterialKind(StrEnum):
    """The forms workshop content takes."""

    SLIDES = "slides"
    TOOLKIT = "toolkit"
    RECORDING = "recording"
    DOCUMENT = "document"
    LINK = "link"
    TEMPLATE = "template"


class OfferStatus(StrEnum):
    """A partnership offer's life: depa reviews it before any city sees it."""

    PENDING = "pending"  # written by the firm, waiting for a depa coordinator
    OPEN = "open"  # approved and published
    REJECTED = "rejected"  # turned down by depa, with a reason
    CLOSED = "closed"  # withdrawn by the firm (or depa); no new interest


class OfferKind(StrEnum):
    """What a firm offers."""

    PILOT = "pilot"
    TECHNOLOGY = "technology"
    FUNDING = "funding"
    TRAINING = "training"
    DATA = "data"


class InterestStatus(StrEnum):
    """A city's interest in an offer, up to the introduction both sides agree to."""

    EXPRESSED = "expressed"
    INTRODUCING = "introducing"  # an introduction was asked for; waiting for both consents
    INTRODUCED = "introduced"
    DECLINED = "declined"  # one side declined the introduction


class IntroSide(StrEnum):
    """The two sides of an introduction."""

    CITY = "city"
    FIRM = "firm"


class TicketStatus(StrEnum):
    """A question to depa: waiting for depa, answered by depa, or closed by either side."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class AnnouncementStatus(StrEnum):
    """From draft through the two-person rule to delivery."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class InboxStatus(StrEnum):
    """Processing state of a stored webhook event."""

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    DEAD = "dead"  # failed its last allowed attempt; kept with its reason for an operator
    SKIPPED = "skipped"


class OutboxStatus(StrEnum):
    """Delivery state of an outgoing message."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # refused for good by the platform; the reason is kept
    BLOCKED = "blocked"  # the person blocked the bot
    CANCELLED = "cancelled"  # withdrawn before sending (a cancelled announcement)
    DEAD = "dead"  # retries exhausted


class ReminderStatus(StrEnum):
    """A reminder fires once."""

    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"


class SubmissionKind(StrEnum):
    """What a city handed in for a competition stage."""

    FILE = "file"
    LINK = "link"
