"""The outbox: e-mails the mail server refused, kept until ``manage.py send_queued_mail`` sends
them (see ``directory.outbox``). A message that was sent at once is never stored."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutgoingMail(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent again")
        FAILED = "failed", _("Given up")

    to = models.JSONField(_("to"), default=list)
    from_email = models.CharField(_("from"), max_length=254)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML text"), blank=True)
    template = models.CharField(
        _("message"), max_length=200, help_text=_("Which message this is (its template).")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    sensitive = models.BooleanField(
        _("holds a personal link"),
        default=False,
        help_text=_(
            "A sign-in, confirmation or password link: its text is never shown here or logged."
        ),
    )
    state = models.CharField(_("state"), max_length=6, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]
        permissions = [("retry_outgoingmail", "Can send a queued e-mail again now")]
        verbose_name = _("queued e-mail")
        verbose_name_plural = _("outbox (e-mails to send again)")

    def __str__(self) -> str:
        return f"{self.template} → {', '.join(self.to)}"
