"""Saved-search e-mail alerts: "tell me when something new appears" (no account needed)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from directory.models.participation import new_token


class Alert(models.Model):
    class Kind(models.TextChoices):
        INITIATIVES = "initiatives", _("Initiatives")
        EVENTS = "events", _("Events")

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")

    email = models.EmailField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    query = models.CharField(
        max_length=2000, blank=True, help_text=_("The search, as a query string.")
    )
    frequency = models.CharField(max_length=6, choices=Frequency.choices, default=Frequency.WEEKLY)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    matched_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Listings published after this are new to the subscriber."),
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text="The language the alert was made in; its e-mails are written in it.",
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["confirmed_at", "unsubscribed_at", "last_run_at"], name="alert_due"
            )
        ]

    def __str__(self) -> str:
        # Translators: e.g. "Weekly initiatives alert for ana@example.org"; kind is a URL word.
        return gettext("%(frequency)s %(kind)s alert for %(email)s") % {
            "frequency": self.get_frequency_display(),
            "kind": self.kind,
            "email": self.email,
        }

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None

    @property
    def period(self) -> timedelta:
        # A little slack so an hourly cron that runs a few seconds early still sends.
        days = 1 if self.frequency == self.Frequency.DAILY else 7
        return timedelta(days=days) - timedelta(minutes=10)

    def is_due(self, now) -> bool:
        return self.active and (self.last_run_at is None or self.last_run_at <= now - self.period)

    def search_url(self) -> str:
        name = (
            "directory:initiative-list"
            if self.kind == self.Kind.INITIATIVES
            else "directory:event-list"
        )
        return reverse(name) + (f"?{self.query}" if self.query else "")
