from .alerts import Alert
from .events import Event
from .kinds import LISTING_KINDS, LISTING_TYPES, listing_kind
from .languages import Language, UserLanguage
from .listings import (
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
from .mail import QueuedMail
from .moderation import ModerationDecision, Report
from .participation import ChangeRequest, ClaimRequest, Decision, Invitation, Membership
from .sources import Fact, SourceRecord
from .webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "LISTING_KINDS",
    "LISTING_TYPES",
    "Alert",
    "ChangeRequest",
    "ClaimRequest",
    "ClassifiedBy",
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
