"""E-mail to people. The record that caused a message is always saved first; a message the mail
server refuses is queued and sent again by the task queue (``directory.services.mail``), so neither what
the person submitted nor the e-mail is lost."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from directory.models import UserLanguage
from directory.services.mail import deliver

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
    sensitive: bool = False,
    queue: bool = True,
    headers: dict | None = None,
    decision_id: int | None = None,
) -> bool:
    """Send a plain-text message; return False if the mail server refused it just now.

    The subject (a lazy translation, with ``subject_params`` for its placeholders) and the body
    are written in ``language`` — the recipient's — or else the current request's language.
    A refused message is queued to be sent again (``sensitive``: it holds a personal link, so
    the admin never shows its text), unless ``queue=False``: callers with a retry of their own
    (alerts) say so, so that nobody gets a message twice. ``headers``: extra mail headers (e.g.
    ``List-Unsubscribe``). ``decision_id``: the ``ModerationDecision`` the message tells about,
    marked ``notified`` once the message is delivered, now or by a later attempt.
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        body = render_to_string(template, context)
        subject = str(subject % subject_params if subject_params else subject)
        # One line, whatever a listing's name holds: Django refuses a subject with a line break.
        subject = " ".join(subject.split())
        prefix = gettext("[MPDB Directory]")
    message = EmailMessage(
        f"{prefix} {subject}", body, settings.DEFAULT_FROM_EMAIL, [to], headers=headers
    )
    if queue:
        return deliver(
            message,
            template=template,
            language=language,
            sensitive=sensitive,
            decision_id=decision_id,
        )
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any transport error: the caller retries (and keeps its record)
        log.warning("E-mail not sent (template %s: %s: %s)", template, type(exc).__name__, exc)
        return False
    return True
