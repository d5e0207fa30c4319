"""Sending e-mail so that a refusing mail server loses nothing.

``deliver`` sends a message at once; if the server refuses (any transport error), the message is
stored in the outbox (``OutgoingMail``) and the caller is told it was not sent now. Cron runs
``manage.py send_queued_mail`` every few minutes, which sends what is due again: the first retry
after ``OUTBOX_RETRY_BASE`` seconds (5 minutes), then twice as long after each further refusal
(10, 20, 40 minutes …, at most a day). After ``OUTBOX_MAX_ATTEMPTS`` attempts (10: about 42 hours)
the message is given up: kept, marked failed, and shown in the admin, where a curator can send it
again. A message that is sent is deleted from the outbox.

Logs name the message by its outbox number and template, never its text: password-reset and
confirmation e-mails hold links that sign people in.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.utils import timezone

from .models import OutgoingMail

log = logging.getLogger("mpdb.mail")

MAX_BACKOFF = timedelta(days=1)
#: While one run is sending a message, another run leaves it alone for this long.
CLAIM = timedelta(minutes=10)


def max_attempts() -> int:
    return max(1, int(settings.OUTBOX_MAX_ATTEMPTS))


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th refusal: base, 2 × base, 4 × base, … ≤ a day."""
    seconds = int(settings.OUTBOX_RETRY_BASE) * 2 ** max(0, attempts - 1)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def deliver(
    message: EmailMessage, *, template: str, language: str = "", sensitive: bool = False
) -> bool:
    """Send ``message`` now; if that fails, keep it in the outbox. True if it was sent now."""
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any transport error: SMTP, socket, TLS, authentication …
        mail = queue(message, template=template, language=language, sensitive=sensitive)
        mail_failed(mail, exc)
        return False
    return True


def queue(
    message: EmailMessage, *, template: str, language: str = "", sensitive: bool = False
) -> OutgoingMail:
    html = next(
        (content for content, mimetype in getattr(message, "alternatives", []) or []
         if mimetype == "text/html"),
        "",
    )  # fmt: skip
    return OutgoingMail.objects.create(
        to=list(message.to), from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        reply_to=list(message.reply_to), headers=dict(message.extra_headers),
        subject=str(message.subject), body=str(message.body), html_body=str(html),
        template=template[:200], sensitive=sensitive,
        language=language or settings.LANGUAGE_CODE,
    )  # fmt: skip


def as_message(mail: OutgoingMail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        mail.subject, mail.body, mail.from_email, mail.to,
        reply_to=mail.reply_to or None, headers=mail.headers or None,
    )  # fmt: skip
    if mail.html_body:
        message.attach_alternative(mail.html_body, "text/html")
    return message


def mail_failed(mail: OutgoingMail, exc: BaseException, now=None) -> None:
    """Record one refusal: count it, schedule the next try or give up."""
    now = now or timezone.now()
    mail.attempts += 1
    mail.last_attempt_at = now
    mail.last_error = _error(exc)
    if mail.attempts >= max_attempts():
        mail.state = OutgoingMail.State.FAILED
        log.error(
            "E-mail #%s (%s) not sent after %s attempts; given up, kept in the outbox (%s)",
            mail.pk, mail.template, mail.attempts, mail.last_error,
        )  # fmt: skip
    else:
        mail.next_attempt_at = now + backoff(mail.attempts)
        log.warning(
            "E-mail #%s (%s) not sent (attempt %s: %s); queued, next try at %s",
            mail.pk, mail.template, mail.attempts, mail.last_error,
            mail.next_attempt_at.isoformat(timespec="seconds"),
        )  # fmt: skip
    mail.save(
        update_fields=["attempts", "last_attempt_at", "last_error", "state", "next_attempt_at"]
    )


def send_queued(mail: OutgoingMail, now=None) -> bool:
    """Try one queued message now; delete it if sent, else record the refusal."""
    try:
        as_message(mail).send(fail_silently=False)
    except Exception as exc:
        mail_failed(mail, exc, now)
        return False
    log.info("E-mail #%s (%s) sent after %s refusals", mail.pk, mail.template, mail.attempts)
    OutgoingMail.objects.filter(pk=mail.pk).delete()
    return True


def send_due(now=None, limit: int | None = None) -> dict[str, int]:
    """Send every queued message whose next attempt is due; count what happened.

    Each message is claimed first (its next attempt moved forward by ``CLAIM``, compare-and-set),
    so two runs that overlap never send one message twice.
    """
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    due = OutgoingMail.objects.filter(
        state=OutgoingMail.State.QUEUED, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")
    for mail in due[:limit] if limit else due:
        if not _claim(mail, now):
            continue  # another run has it
        if send_queued(mail, now):
            counts["sent"] += 1
        elif mail.state == OutgoingMail.State.FAILED:
            counts["failed"] += 1
        else:
            counts["retry"] += 1
    return counts


def _claim(mail: OutgoingMail, now) -> bool:
    """Take ``mail`` for this run, unless another run (or curator) took or changed it meanwhile."""
    return bool(
        OutgoingMail.objects.filter(
            pk=mail.pk, state=mail.state, attempts=mail.attempts,
            next_attempt_at=mail.next_attempt_at,
        ).update(next_attempt_at=now + CLAIM)
    )  # fmt: skip


def retry_now(mails) -> tuple[int, int]:
    """The admin's "send now": try each selected message at once, queued or given up.

    A given-up message that is refused again stays given up (one more attempt is counted).
    """
    now = timezone.now()
    sent = failed = 0
    for mail in mails:
        if not _claim(mail, now):
            continue
        if send_queued(mail, now):
            sent += 1
        else:
            failed += 1
    return sent, failed
