"""E-mail to people. The record that caused a message is always saved first; a failed send is
logged with enough to resend it and never loses what the person submitted."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

log = logging.getLogger("mpdb.mail")


def send(*, to: str, subject: str, template: str, context: dict) -> bool:
    """Send a plain-text message; return False (and log) if the mail server refused it."""
    body = render_to_string(template, context)
    try:
        send_mail(
            f"[MPDB Directory] {subject}", body, settings.DEFAULT_FROM_EMAIL, [to],
            fail_silently=False,
        )  # fmt: skip
    except Exception:  # any transport error: the caller's record is already saved
        log.exception("E-mail not sent (template %s, subject %r); resend later", template, subject)
        return False
    return True
