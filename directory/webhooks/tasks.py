"""Sending a delivery: the ``deliver`` task (run by ``manage.py db_worker``).

One attempt per task run. A failure (no connection, a timeout, any answer but 2xx) is logged
on the delivery and retried by a new task, ``WEBHOOK_RETRY_BASE`` seconds later and twice as
long each time (at most ``WEBHOOK_RETRY_CAP`` apart), until ``WEBHOOK_MAX_ATTEMPTS``. An
endpoint whose failures have lasted ``WEBHOOK_PAUSE_AFTER`` (a day) is paused at its next
failure and its contact e-mailed; its waiting deliveries stay waiting until it is resumed.
No database transaction is open while the request is on the wire.
"""

import http.client
import logging
import socket
import ssl
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from directory.models import WebhookDelivery, WebhookEndpoint
from directory.services.notify import language_for_email, send
from directory.webhooks import signing
from directory.webhooks.addresses import UnsafeAddress, public_address, url_problem

log = logging.getLogger("mpdb.webhooks")
State = WebhookDelivery.State
USER_AGENT = "MPDB-Directory-Webhooks/1"
MAX_LOGGED = 300  # characters of an answer or error kept in the log


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    seconds = settings.WEBHOOK_RETRY_BASE * 2 ** min(attempts - 1, 30)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_CAP))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address already checked, with the certificate checked for the host name."""

    def __init__(self, address: str, port: int, server_hostname: str, **kwargs):
        super().__init__(address, port, context=ssl.create_default_context(), **kwargs)
        self.server_hostname = server_hostname

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.server_hostname)


def post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    """POST ``body``; the answer's status and the start of its text. Raises on any failure to
    get an answer, and ``UnsafeAddress`` before connecting to a non-public address."""
    problem = url_problem(url)
    if problem:
        raise UnsafeAddress(problem)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = public_address(parts.hostname, port)
    timeout = settings.WEBHOOK_TIMEOUT
    if parts.scheme == "https":
        connection = _PinnedHTTPSConnection(address, port, parts.hostname, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    host = parts.netloc  # as written (no user name: url_problem refuses one), IPv6 in brackets
    try:
        connection.request("POST", path, body=body, headers={"Host": host, **headers})
        response = connection.getresponse()
        text = response.read(MAX_LOGGED).decode("utf-8", "replace")
        return response.status, text
    finally:
        connection.close()


def signed_headers(endpoint: WebhookEndpoint, delivery: WebhookDelivery, body: bytes) -> dict:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        signing.EVENT_HEADER: delivery.event,
        signing.DELIVERY_HEADER: str(delivery.uuid),
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.sign(endpoint.secret, timestamp, body),
    }


@task()
def deliver(delivery_id: int) -> str:
    """One attempt at one delivery; returns what became of it (for the task's result)."""
    delivery = (
        WebhookDelivery.objects.select_related("endpoint__key").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.state != State.PENDING:
        return "nothing to do"
    endpoint = delivery.endpoint
    if endpoint.key.revoked or endpoint.key.has_expired:
        WebhookDelivery.objects.filter(pk=delivery.pk, state=State.PENDING).update(
            state=State.FAILED, last_error="The API key that registered the endpoint was revoked."
        )
        return "key revoked"
    if endpoint.is_paused:
        return "endpoint paused"  # resuming the endpoint queues it again
    # Claim this attempt: of two tasks for one delivery (a retry and a resume), one sends.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, state=State.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=None, attempt_started_at=timezone.now())
    if not claimed:
        return "taken by another worker"
    attempt = delivery.attempts + 1
    body = delivery.body.encode()
    started = time.monotonic()
    status_code, error = None, ""
    try:
        status_code, text = post(endpoint.url, body, signed_headers(endpoint, delivery, body))
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}: {text}".strip()
    except UnsafeAddress as exc:
        error = f"refused: {exc}"
    except Exception as exc:  # any failure to get an answer is logged on the delivery and retried
        error = f"{type(exc).__name__}: {exc}"
    now = timezone.now()
    entry = {
        "at": now.isoformat(),
        "status_code": status_code,
        "error": error[:MAX_LOGGED],
        "duration_ms": round((time.monotonic() - started) * 1000),
    }
    delivery.refresh_from_db(fields=["attempt_log"])
    delivery.attempt_log = [*delivery.attempt_log, entry]
    delivery.attempts = attempt
    delivery.last_status_code = status_code
    delivery.last_error = error[:MAX_LOGGED]
    delivery.attempt_started_at = None  # the attempt is over, whatever came of it
    fields = ["attempt_log", "attempts", "last_status_code", "last_error", "attempt_started_at"]
    if not error:
        delivery.state, delivery.delivered_at = State.DELIVERED, now
        delivery.save(update_fields=[*fields, "state", "delivered_at"])
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        return "delivered"

    log.warning("Webhook delivery %s to %s failed: %s", delivery.uuid, endpoint.url, error)
    if _failed(endpoint, now, error):  # it waits for the endpoint to be resumed
        delivery.save(update_fields=fields)
        return "endpoint paused"
    if attempt >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.state = State.FAILED
        delivery.save(update_fields=[*fields, "state"])
        log.error("Webhook delivery %s given up after %s attempts", delivery.uuid, attempt)
        return "given up"
    delivery.next_attempt_at = now + backoff(attempt)
    delivery.save(update_fields=[*fields, "next_attempt_at"])
    deliver.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
    return "will retry"


def _failed(endpoint: WebhookEndpoint, now, error: str) -> bool:
    """Record a failure; pause the endpoint if it has failed for long enough. True if paused."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    endpoint.refresh_from_db(fields=["failing_since", "paused_at"])
    if endpoint.paused_at is not None:
        return True
    if now - endpoint.failing_since < timedelta(seconds=settings.WEBHOOK_PAUSE_AFTER):
        return False
    reason = f"Every attempt has failed since {endpoint.failing_since.isoformat()}."
    paused = WebhookEndpoint.objects.filter(pk=endpoint.pk, paused_at__isnull=True).update(
        paused_at=now, pause_reason=reason
    )
    if paused:  # only the worker that paused it tells the owner
        endpoint.paused_at, endpoint.pause_reason = now, reason
        log.error("Webhook endpoint %s (%s) paused: %s", endpoint.uuid, endpoint.url, reason)
        send(
            to=endpoint.contact_email,
            language=language_for_email(endpoint.contact_email),
            subject=_("Your webhook endpoint was paused"),
            template="directory/email/webhook_paused.txt",
            context={
                "endpoint": endpoint,
                "resume": f"POST {settings.SITE_URL}/api/v1/webhooks/{endpoint.uuid}/resume/",
                "error": error[:MAX_LOGGED],
            },
        )
    return True
