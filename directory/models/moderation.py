"""Curators' work: decisions with reasons, and problem reports from the public."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from directory.models.participation import LISTING_FIELDS, exactly_one_of


class ModerationDecision(models.Model):
    """Who decided what about which object, when, and why. Never edited, never deleted."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        REQUEST_CHANGES = "request_changes", _("Changes requested")
        ARCHIVE = "archive", _("Archived")
        RESTORE = "restore", _("Restored")
        REVERT = "revert", _("Reverted to an earlier version")
        RESOLVE = "resolve", _("Report resolved")
        DISMISS = "dismiss", _("Report dismissed")
        VERIFY = "verify", _("Confirmed accurate")

    class Reason(models.TextChoices):
        NONE = "", "—"
        OUT_OF_SCOPE = "out_of_scope", _("Not civic or democracy-building work")
        INCOMPLETE = "incomplete", _("Not enough information to check it")
        DUPLICATE = "duplicate", _("Already listed")
        UNVERIFIABLE = "unverifiable", _("We could not verify it")
        PARTISAN = "partisan", _("Campaigning for a party or candidate")
        SPAM = "spam", _("Spam or advertising")
        BAD_FAITH = "bad_faith", _("Bad-faith or harmful content")
        STALE = "stale", _("No longer active")
        OTHER = "other", _("Other (see the note)")

    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    reason_code = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    reason = models.TextField(blank=True, max_length=4000)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    target_repr = models.CharField(max_length=300)
    notified = models.BooleanField(default=False, help_text=_("The submitter was e-mailed."))
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="decision_target")]
        permissions = [("moderate", "Can moderate listings, claims, changes and reports")]

    def __str__(self) -> str:
        # Translators: a curator's decision and what it was about, e.g. "Approved: Civic Nights".
        return gettext("%(action)s: %(target)s") % {
            "action": self.get_action_display(),
            "target": self.target_repr,
        }

    @property
    def reason_text(self) -> str:
        parts = [self.get_reason_code_display() if self.reason_code else "", self.reason]
        return " — ".join(p for p in parts if p)


class Report(models.Model):
    """Anyone flags a problem with a listing."""

    class Kind(models.TextChoices):
        OUTDATED = "outdated", _("Outdated")
        INCORRECT = "incorrect", _("Incorrect")
        SPAM = "spam", _("Spam")
        BAD_FAITH = "bad_faith", _("Bad faith")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")
        DISMISSED = "dismissed", _("Dismissed")

    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reports",
    )
    initiative = models.ForeignKey(
        "directory.Initiative",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reports",
    )
    event = models.ForeignKey(
        "directory.Event",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reports",
    )
    kind = models.CharField(_("what is wrong"), max_length=20, choices=Kind.choices)
    message = models.TextField(max_length=2000)
    email = models.EmailField(
        _("your e-mail address"), blank=True, help_text=_("Only curators see it.")
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    resolution = models.TextField(blank=True, max_length=4000)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one_of(*LISTING_FIELDS), name="report_has_one_target"
            )
        ]

    def __str__(self) -> str:
        # Translators: e.g. "Outdated report on Civic Nights".
        return gettext("%(kind)s report on %(target)s") % {
            "kind": self.get_kind_display(),
            "target": self.target,
        }

    @property
    def target(self):
        return self.organization or self.initiative or self.event
