"""What partners (through the API) and curators (in the admin) do to endpoints."""

from django.db import transaction
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from directory.models import WebhookDelivery, WebhookEndpoint
from directory.models.webhooks import PING
from directory.webhooks.events import payload
from directory.webhooks.tasks import deliver

#: endpoints one key may register
MAX_ENDPOINTS_PER_KEY = 10


def endpoint_create(
    *, key: APIKey, url: str, events: list[str], contact_email: str, description: str = ""
) -> WebhookEndpoint:
    """Register an endpoint for ``key``; its signing secret is made here."""
    return WebhookEndpoint.objects.create(
        key=key,
        url=url,
        events=sorted(set(events)),
        contact_email=contact_email,
        description=description,
    )


@transaction.atomic
def endpoint_resume(endpoint: WebhookEndpoint) -> int:
    """Unpause an endpoint and queue what was waiting for it again; returns how many."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        paused_at=None, pause_reason="", failing_since=None
    )
    endpoint.paused_at, endpoint.pause_reason, endpoint.failing_since = None, "", None
    waiting = list(
        endpoint.deliveries.filter(state=WebhookDelivery.State.PENDING)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: [deliver.enqueue(pk) for pk in waiting])
    return len(waiting)


@transaction.atomic
def endpoint_pause(endpoint: WebhookEndpoint, *, reason: str) -> None:
    """Stop sending to an endpoint (a curator's decision); deliveries wait until it resumes."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        paused_at=timezone.now(), pause_reason=reason[:300]
    )


@transaction.atomic
def endpoint_ping(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a signed test delivery (event ``ping``, no listing), even to a paused endpoint's
    log: it is sent once the endpoint is active."""
    delivery = WebhookDelivery(endpoint=endpoint, event=PING)
    item = {"endpoint": str(endpoint.uuid), "events": endpoint.events}
    delivery.body = payload(delivery_id=str(delivery.uuid), event=PING, item=item)
    delivery.save()
    transaction.on_commit(lambda: deliver.enqueue(delivery.pk))
    return delivery
