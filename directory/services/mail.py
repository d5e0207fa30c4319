"""Sending e-mail so that a refusing mail server loses nothing, through the task queue.

``deliver`` sends a message at once. If the server refuses (any transport error), it queues the
``send_mail`` task (django-tasks, run by ``manage.py db_worker``) to try again after
``MAIL_RETRY_BASE`` seconds (5 minutes), then twice as long after each further refusal (10, 20,
40 minutes …, at most a day apart). Each attempt is one task; a refused attempt queues the next
one and ends with what happened as its result. After ``MAIL_MAX_ATTEMPTS`` attempts (10: about
42 hours) the last task fails (``MailNotSent``): its result is kept, shown to curators in the admin
(``directory.admin.mail``: *E-mails the mail server refused*), and can be sent again from there.

A message sent for a curator's decision marks the decision ``notified`` once it is delivered,
at once or by a later attempt.

Logs name a message by its template, never its text, and the text of a ``sensitive`` message (a
sign-in, confirmation or password link) is dropped from each attempt's record once that attempt
is over: only the attempt still waiting (or given up) holds it, to send it.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, task

from directory.models import ModerationDecision, QueuedMail

log = logging.getLogger("mpdb.mail")

MAX_BACKOFF = timedelta(days=1)


class MailNotSent(Exception):
    """The last attempt was refused too: the message is given up (and can be sent again)."""


def max_attempts() -> int:
    return max(1, int(settings.MAIL_MAX_ATTEMPTS))


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th refusal: base, 2 × base, 4 × base, … ≤ a day."""
    seconds = int(settings.MAIL_RETRY_BASE) * 2 ** min(max(0, attempts - 1), 30)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def as_data(
    message: EmailMessage, *, template: str, language: str = "", sensitive: bool = False
) -> dict:
    """``message`` as the task's argument (JSON)."""
    html = next(
        (
            content
            for content, mimetype in getattr(message, "alternatives", None) or []
            if mimetype == "text/html"
        ),
        "",
    )
    return {
        "to": list(message.to),
        "from_email": message.from_email or settings.DEFAULT_FROM_EMAIL,
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "subject": str(message.subject),
        "body": str(message.body),
        "html_body": str(html),
        "template": template[:200],
        "language": language or settings.LANGUAGE_CODE,
        "sensitive": sensitive,
    }


def as_message(mail: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        mail["subject"],
        mail["body"],
        mail["from_email"],
        mail["to"],
        reply_to=mail["reply_to"] or None,
        headers=mail["headers"] or None,
    )
    if mail["html_body"]:
        message.attach_alternative(mail["html_body"], "text/html")
    return message


def _delivered(decision_id: int | None) -> None:
    if decision_id:
        ModerationDecision.objects.filter(pk=decision_id).update(notified=True)


def deliver(
    message: EmailMessage,
    *,
    template: str,
    language: str = "",
    sensitive: bool = False,
    decision_id: int | None = None,
) -> bool:
    """Send ``message`` now; if that fails, queue it to be sent again. True if it was sent now.

    ``decision_id``: the ``ModerationDecision`` this message tells about, marked ``notified``
    when the message is delivered.
    """
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any transport error: SMTP, socket, TLS, authentication …
        mail = as_data(message, template=template, language=language, sensitive=sensitive)
        _retry_later(mail, attempt=1, exc=exc, decision_id=decision_id)
        return False
    _delivered(decision_id)
    return True


def _retry_later(mail: dict, *, attempt: int, exc: BaseException, decision_id) -> dict:
    """Queue the next attempt after the ``attempt``-th refusal; what happened, for the record."""
    run_after = timezone.now() + backoff(attempt)
    # A message queued inside a transaction that rolls back was never meant to be sent.
    send_mail.using(run_after=run_after).enqueue(mail, attempt + 1, decision_id)
    log.warning(
        "E-mail (%s) not sent (attempt %s of %s: %s); queued, next try at %s",
        mail["template"],
        attempt,
        max_attempts(),
        _error(exc),
        run_after.isoformat(timespec="seconds"),
    )
    return {
        "sent": False,
        "attempt": attempt,
        "error": _error(exc),
        "next_attempt_at": run_after.isoformat(timespec="seconds"),
    }


def _forget_text(context: TaskContext, mail: dict) -> None:
    """Drop a sensitive message's text from this attempt's record; the worker keeps it so."""
    if mail.get("sensitive"):
        hidden = {**mail, "body": "", "html_body": ""}
        args = [hidden, *context.task_result.args[1:]]
        QueuedMail.objects.filter(pk=context.task_result.id).update(
            args_kwargs={"args": args, "kwargs": context.task_result.kwargs}
        )


@task(takes_context=True)
def send_mail(context: TaskContext, mail: dict, attempt: int, decision_id: int | None = None):
    """One attempt at sending ``mail`` (``as_data``); the ``attempt``-th, counting the first."""
    try:
        as_message(mail).send(fail_silently=False)
    except Exception as exc:
        if attempt >= max_attempts():
            log.error(
                "E-mail (%s) not sent after %s attempts; given up, kept for curators (%s)",
                mail["template"],
                attempt,
                _error(exc),
            )
            raise MailNotSent(f"Not sent after {attempt} attempts: {_error(exc)}") from exc
        with transaction.atomic():
            outcome = _retry_later(mail, attempt=attempt, exc=exc, decision_id=decision_id)
            _forget_text(context, mail)
        return outcome
    log.info("E-mail (%s) sent at attempt %s", mail["template"], attempt)
    _delivered(decision_id)
    _forget_text(context, mail)
    return {"sent": True, "attempt": attempt}


def send_again(mails) -> int:
    """The admin's "send again": queue each given-up message for a new round of attempts now.

    Its failed record is removed first (compare-and-set), so two curators sending one message
    again at once queue it once. Returns how many were queued.
    """
    queued = 0
    for result in mails:
        with transaction.atomic():
            removed, _ = QueuedMail.objects.filter(
                pk=result.pk, status=QueuedMail.Status.FAILED
            ).delete()
            if removed:
                mail, _attempt, *rest = result.args_kwargs["args"]
                send_mail.enqueue(mail, 1, *rest)
                queued += 1
    return queued
