"""Webhooks: partners' endpoints (one API key owns each) and the log of what was sent to them.

The behaviour lives in ``directory.webhooks``; these are only the records.
"""

import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import APIKey


class WebhookEvent(models.TextChoices):
    """What a partner can subscribe to. Listings are organizations and initiatives."""

    LISTING_PUBLISHED = "listing.published", _("Listing published")
    LISTING_CHANGED = "listing.changed", _("Listing changed")
    LISTING_WITHDRAWN = "listing.withdrawn", _("Listing withdrawn")
    EVENT_PUBLISHED = "event.published", _("Event published")
    EVENT_CHANGED = "event.changed", _("Event changed")
    EVENT_CANCELLED = "event.cancelled", _("Event cancelled")


#: A test delivery a partner asks for; never a subscription of its own.
PING = "ping"


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(32)


class WebhookEndpoint(models.Model):
    """A URL a partner's key registered, the events it wants, and the secret that signs them."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.ForeignKey(
        APIKey,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("API key"),
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    contact_email = models.EmailField(
        _("contact e-mail"), help_text=_("Told when the endpoint is paused.")
    )
    secret = models.CharField(_("signing secret"), max_length=80, default=new_secret)
    failing_since = models.DateTimeField(
        _("failing since"),
        null=True,
        blank=True,
        help_text=_("The first failed attempt since the last success."),
    )
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    pause_reason = models.CharField(_("why paused"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class WebhookDelivery(models.Model):
    """One change (or ping) for one endpoint, with every attempt to send it."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Given up")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40)
    #: the exact bytes sent (as text), so every attempt signs and sends the same body
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    #: one entry per attempt: {"at", "status_code", "error", "duration_ms"}
    attempt_log = models.JSONField(default=list)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    #: while an attempt is under way: when it began (``manage.py webhook_upkeep`` queues again
    #: a delivery whose attempt never finished, as when its worker was killed)
    attempt_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
            models.Index(fields=["endpoint", "state"], name="webhook_delivery_state"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
