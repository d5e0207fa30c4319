from .alerts import Alert
from .events import Event
from .languages import Language, UserLanguage
from .listings import (
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

__all__ = [
    "Alert",
    "ChangeRequest",
    "ClaimRequest",
    "Decision",
    "Event",
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
    "Status",
    "UserLanguage",
]
