"""E-mail to people. The record that caused a message is always saved first; a failed send is
logged with enough to resend it and never loses what the person submitted."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from .models import UserLanguage

log = logging.getLogger("mpdb.mail")


def remember_language(user, language: str | None) -> None:
    if user is None or not user.pk or language not in dict(settings.LANGUAGES):
        return
    UserLanguage.objects.update_or_create(user=user, defaults={"language": language})


def language_of(user) -> str:
    """The language to write to ``user`` in: the one they last signed in with, else English."""
    if user is None or not getattr(user, "pk", None):
        return settings.LANGUAGE_CODE
    choice = UserLanguage.objects.filter(user=user).values_list("language", flat=True).first()
    return choice or settings.LANGUAGE_CODE


def language_for_email(email: str) -> str | None:
    """The language of the account with this e-mail address, if it has signed in before."""
    return (
        UserLanguage.objects.filter(user__email__iexact=email)
        .values_list("language", flat=True)
        .first()
    )


def send(
    *,
    to: str,
    subject,
    template: str,
    context: dict,
    language: str | None = None,
    subject_params: dict | None = None,
) -> bool:
    """Send a plain-text message; return False (and log) if the mail server refused it.

    The subject (a lazy translation, with ``subject_params`` for its placeholders) and the body
    are written in ``language`` — the recipient's — or else the current request's language.
    """
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        body = render_to_string(template, context)
        subject = str(subject % subject_params if subject_params else subject)
        prefix = gettext("[MPDB Directory]")
    try:
        send_mail(
            f"{prefix} {subject}", body, settings.DEFAULT_FROM_EMAIL, [to],
            fail_silently=False,
        )  # fmt: skip
    except Exception:  # any transport error: the caller's record is already saved
        log.exception("E-mail not sent (template %s, subject %r); resend later", template, subject)
        return False
    return True
