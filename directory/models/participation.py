"""People and organizations: memberships, claims, invitations and change requests."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from directory.models.listings import Initiative, Organization


def new_token() -> str:
    return secrets.token_urlsafe(32)


#: The listings a member's edit or a public report can be about: one of these is set, never two.
LISTING_FIELDS = ("organization", "initiative", "event")


def exactly_one_of(*fields: str) -> models.Q:
    """A condition true when exactly one of ``fields`` is set."""
    condition = models.Q()
    for field in fields:
        condition |= models.Q(
            **{f"{field}__isnull": False}, **{f"{o}__isnull": True for o in fields if o != field}
        )
    return condition


def member_listing_q(user) -> models.Q:
    """Rows (edits, reports) about a listing of one of ``user``'s organizations."""
    return (
        models.Q(organization__memberships__user=user)
        | models.Q(initiative__organization__memberships__user=user)
        | models.Q(event__organization__memberships__user=user)
    )


class Membership(models.Model):
    """A person who may manage an organization's listings."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        EDITOR = "editor", _("Editor")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_each")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organization} ({self.role})"


class Decision(models.TextChoices):
    PENDING = "pending", _("Waiting for a curator")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


def decision_fields() -> tuple:
    """A request's status and the curator's decision on it (who, when, why), and when it was
    filed: new fields for each model, in the order they are listed there."""
    return (
        models.CharField(max_length=10, choices=Decision, default=Decision.PENDING),
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            null=True,
            blank=True,
            on_delete=models.SET_NULL,
            related_name="+",
        ),
        models.DateTimeField(null=True, blank=True),
        models.TextField(blank=True),
        models.DateTimeField(default=timezone.now),
    )


class ClaimRequest(models.Model):
    """Someone asks to manage a listed organization (e.g. one seeded from the paper)."""

    class Evidence(models.TextChoices):
        DOMAIN_EMAIL = "domain_email", _("An e-mail address at the organization’s web domain")
        MESSAGE = "message", _("A message to the curators")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="claims")
    evidence = models.CharField(max_length=20, choices=Evidence.choices)
    work_email = models.EmailField(blank=True)
    message = models.TextField(blank=True, max_length=2000)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    status, decided_by, decided_at, reason, created_at = decision_fields()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                condition=models.Q(status="pending"),
                name="one_pending_claim_per_user_and_org",
            )
        ]

    def __str__(self) -> str:
        return gettext("Claim of %(organization)s by %(user)s") % {
            "organization": self.organization,
            "user": self.user,
        }


class InvitationQuerySet(models.QuerySet):
    def open(self, now=None):
        """Neither accepted nor expired: the link still works."""
        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, created_at__gt=now - Invitation.EXPIRES_AFTER)


class Invitation(models.Model):
    """An owner invites someone, by e-mail, to edit the organization's listings."""

    #: After this the link no longer works; the owner can invite again.
    EXPIRES_AFTER = timedelta(days=14)

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InvitationQuerySet.as_manager()

    def __str__(self) -> str:
        return gettext("Invitation to %(email)s for %(organization)s") % {
            "email": self.email,
            "organization": self.organization,
        }

    @property
    def expires_at(self):
        return self.created_at + self.EXPIRES_AFTER


class ChangeRequest(models.Model):
    """A member's edit to a *published* listing; the public sees the old version until approval."""

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    initiative = models.ForeignKey(
        Initiative,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    event = models.ForeignKey(
        "directory.Event",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    proposed = models.JSONField(help_text=_("Field values as the member submitted them."))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="change_requests"
    )
    status, decided_by, decided_at, reason, created_at = decision_fields()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one_of(*LISTING_FIELDS), name="change_request_has_one_target"
            ),
            # One edit waits per listing: two members editing at once never make two proposals
            # that a curator could approve one over the other (participation.listing_edit).
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status="pending", organization__isnull=False),
                name="one_pending_change_per_organization",
            ),
            models.UniqueConstraint(
                fields=["initiative"],
                condition=models.Q(status="pending", initiative__isnull=False),
                name="one_pending_change_per_initiative",
            ),
            models.UniqueConstraint(
                fields=["event"],
                condition=models.Q(status="pending", event__isnull=False),
                name="one_pending_change_per_event",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Change to %(target)s") % {"target": self.target}

    @property
    def target(self):
        return self.organization or self.initiative or self.event
