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
from .sources import Fact, SourceRecord
from .participation import ChangeRequest, ClaimRequest, Decision, Invitation, Membership

__all__ = [
    "ClassifiedBy",
    "Alert",
    "ChangeRequest",
    "ClaimRequest",
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
]
