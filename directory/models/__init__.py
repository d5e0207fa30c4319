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
from .mail import QueuedMail
from .moderation import ModerationDecision, Report
from .participation import ChangeRequest, ClaimRequest, Decision, Invitation, Membership
from .sources import Fact, SourceRecord
from .webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

#: The one registry of listing kinds: the model a URL's ``kind`` names, in the plural
#: (``/report/<kind>/…``, ``/dashboard/<kind>/…``, ``/curate/history/<kind>/…``).
LISTING_KINDS = {"organizations": Organization, "initiatives": Initiative, "events": Event}
#: The same by the singular, the model's name (``/curate/decide/<kind>/…``, the change feed's
#: ``type``).
LISTING_TYPES = {model._meta.model_name: model for model in LISTING_KINDS.values()}


def listing_kind(listing) -> str:
    """The plural ``kind`` of a listing (or of its model), as ``LISTING_KINDS`` names it."""
    model = listing._meta.concrete_model
    return next(kind for kind, candidate in LISTING_KINDS.items() if candidate is model)


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
]
