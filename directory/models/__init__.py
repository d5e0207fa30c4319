from .alerts import Alert
from .events import Event
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
from .moderation import ModerationDecision, Report
from .outbox import OutgoingMail
from .participation import ChangeRequest, ClaimRequest, Decision, Invitation, Membership
from .sources import Fact, SourceRecord
from .webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

#: The listing a URL's ``kind`` names (``/report/<kind>/…``, ``/dashboard/<kind>/…``).
LISTING_KINDS = {"organizations": Organization, "initiatives": Initiative, "events": Event}

__all__ = [
    "LISTING_KINDS",
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
    "OutgoingMail",
    "Report",
    "Scope",
    "Source",
    "SourceRecord",
    "Status",
    "UserLanguage",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
