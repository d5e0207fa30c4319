"""Who curates: the Curators group and its permissions, and the rule against deciding on one's own work."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from directory.models import (
    ChangeRequest,
    ClaimRequest,
    Membership,
    ModerationDecision,
    Organization,
    Report,
)

CURATORS = "Curators"


#: Decisions on whether something goes (or comes back) public: a curator does not take them on
#: their own submission, edit or claim while another curator could.
OWN_WORK_ACTIONS = {
    ModerationDecision.Action.APPROVE,
    ModerationDecision.Action.REJECT,
    ModerationDecision.Action.REQUEST_CHANGES,
    ModerationDecision.Action.RESTORE,
}


SOLE_CURATOR_NOTE = (
    "Decided by a curator on their own submission or claim: they were the only curator."
)


# What a curator may do: exactly what moderation needs, nothing that makes a superuser.
CURATOR_PERMISSIONS = {
    "directory": [
        "view_organization",
        "change_organization",
        "view_initiative",
        "change_initiative",
        "view_membership",
        "add_membership",
        "change_membership",
        "delete_membership",
        "view_claimrequest",
        "change_claimrequest",
        "view_changerequest",
        "change_changerequest",
        "view_report",
        "change_report",
        "view_invitation",
        "view_moderationdecision",
        "view_event",
        "change_event",
        "view_historicalevent",
        "add_moderationdecision",
        "moderate",
        "view_historicalorganization",
        "view_historicalinitiative",
        "view_queuedmail",
        "resend_queuedmail",  # refused e-mails: see them, send again
        "view_webhookendpoint",
        "change_webhookendpoint",
        "view_webhookdelivery",  # pause, resume
    ],
    "goals": ["view_goal", "change_goal"],
    "roles": ["view_role", "change_role", "view_rolegroup", "change_rolegroup"],
    "rest_framework_api_key": ["view_apikey", "add_apikey", "change_apikey"],
}


def ensure_curators_group() -> Group:
    """Create or refresh the Curators group with exactly CURATOR_PERMISSIONS (idempotent)."""
    group, _ = Group.objects.get_or_create(name=CURATORS)
    query = Q(pk__in=[])
    for app, codenames in CURATOR_PERMISSIONS.items():
        query |= Q(content_type__app_label=app, codename__in=codenames)
    group.permissions.set(Permission.objects.filter(query))
    return group


def can_moderate(user) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("directory.moderate")


def other_curator_exists(user) -> bool:
    """Whether an active account other than ``user`` may moderate (superusers count)."""
    curators = get_user_model().objects.with_perm(
        "directory.moderate", backend="django.contrib.auth.backends.ModelBackend"
    )
    return curators.exclude(pk=user.pk).exists()


def is_own_work(user, target, member_of: set[int] | None = None) -> bool:
    """Whether ``user`` claimed ``target``, submitted it, or belongs to its organization
    (``member_of``: the ids of ``user``'s organizations, when the caller has them already)."""
    if isinstance(target, ClaimRequest):
        return target.user_id == user.pk
    if isinstance(target, Report):
        return False
    if target.submitted_by_id == user.pk:
        return True
    listing = target.target if isinstance(target, ChangeRequest) else target
    organization_id = listing.pk if isinstance(listing, Organization) else listing.organization_id
    if member_of is None:
        return Membership.objects.filter(user=user, organization_id=organization_id).exists()
    return organization_id in member_of
