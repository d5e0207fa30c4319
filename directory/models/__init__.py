from directory.models.alerts import Alert
from directory.models.coverage import CoverageChange, CoverageCount
from directory.models.events import Event
from directory.models.kinds import LISTING_KINDS, LISTING_TYPES, listing_kind
from directory.models.languages import Language, UserLanguage
from directory.models.listings import (
    ClassifiedBy,
    Initiative,
    InitiativeManager,
    Listing,
    Organization,
    OrganizationManager,
    Scope,
    Source,
    Status,
)
from directory.models.mail import QueuedMail
from directory.models.moderation import ModerationDecision, Report
from directory.models.participation import (
    ChangeRequest,
    ClaimRequest,
    Decision,
    Invitation,
    Membership,
)
from directory.models.sources import Fact, SourceRecord
from directory.models.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "LISTING_KINDS",
    "LISTING_TYPES",
    "Alert",
    "ChangeRequest",
    "ClaimRequest",
    "ClassifiedBy",
    "CoverageChange",
    "CoverageCount",
    "Decision",
    "Event",
    "Fact",
    "Initiative",
    "InitiativeManager",
    "Invitation",
    "Language",
    "Listing",
    "Membership",
    "ModerationDecision",
    "Organization",
    "OrganizationManager",
    "QueuedMail",
    "Report",
    "Scope",
    "Source",
    "SourceRecord",
    "Status",
    "UserLanguage",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "listing_kind",
]
