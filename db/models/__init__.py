"""The whole domain as typed SQLAlchemy models, one module per part of it.

Uniques and indexes follow the access paths: identities by (channel, external id), the inbox by
(channel, event key), the outbox by (status, next attempt), content rows by their stable slugs.
Everything is importable from `db.models`, as Alembic and the repositories expect.
"""

from db.models.dashboard import DashboardLink, DashboardSession, SigningKey
from db.models.messaging import (
    Announcement,
    AuditLog,
    ChannelCursor,
    ConversationState,
    InboundEvent,
    OutboundMessage,
    SchedulerLease,
)
from db.models.partnerships import (
    IntroductionConsent,
    OfferDomain,
    OfferTarget,
    OfferView,
    PartnershipInterest,
    PartnershipOffer,
)
from db.models.people import (
    Chat,
    Consent,
    Domain,
    Identity,
    Invite,
    LinkCode,
    Member,
    Organisation,
    OrganisationDomain,
)
from db.models.programme import (
    CalendarToken,
    CheckinRound,
    Competition,
    CompetitionEntry,
    Deadline,
    FaqEntry,
    Material,
    Milestone,
    Plan,
    ProgressUpdate,
    Reminder,
    Submission,
    Workshop,
    WorkshopSession,
)
from db.models.questions import Ticket, TicketMessage

__all__ = [
    "Announcement",
    "AuditLog",
    "CalendarToken",
    "ChannelCursor",
    "Chat",
    "CheckinRound",
    "Competition",
    "CompetitionEntry",
    "Consent",
    "ConversationState",
    "DashboardLink",
    "DashboardSession",
    "Deadline",
    "Domain",
    "FaqEntry",
    "Identity",
    "InboundEvent",
    "IntroductionConsent",
    "Invite",
    "LinkCode",
    "Material",
    "Member",
    "Milestone",
    "OfferDomain",
    "OfferTarget",
    "OfferView",
    "Organisation",
    "OrganisationDomain",
    "OutboundMessage",
    "PartnershipInterest",
    "PartnershipOffer",
    "Plan",
    "ProgressUpdate",
    "Reminder",
    "SchedulerLease",
    "SigningKey",
    "Submission",
    "Ticket",
    "TicketMessage",
    "Workshop",
    "WorkshopSession",
]
