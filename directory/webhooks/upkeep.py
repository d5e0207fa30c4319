"""Keeping the delivery log sound: deliveries whose task was lost are queued again, and the log
of finished deliveries is kept for a while, then forgotten (``manage.py webhook_upkeep``)."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from directory.models import WebhookDelivery
from directory.webhooks.tasks import deliver

State = WebhookDelivery.State
#: what the log says of an attempt that never finished
NO_OUTCOME = "No outcome: the attempt never finished (its worker stopped); sent again."


@dataclass
class Upkeep:
    requeued: int = 0
    forgotten: int = 0


def stuck(now, after: timedelta):
    """Pending deliveries to an active endpoint that nothing will send: an attempt that began
    longer than ``after`` ago and never finished (its worker was killed), or a task that
    should have run that long ago and did not (lost with its queue, or never queued)."""
    since = now - after
    return WebhookDelivery.objects.filter(
        Q(attempt_started_at__lt=since)
        | Q(attempt_started_at__isnull=True, next_attempt_at__lt=since)
        | Q(attempt_started_at__isnull=True, next_attempt_at__isnull=True, created_at__lt=since),
        state=State.PENDING,
        endpoint__paused_at__isnull=True,  # a paused endpoint's deliveries wait for its resume
    )


def requeue_stuck(*, after: timedelta) -> int:
    """Queue each stuck delivery again (oldest first); how many. An attempt that never finished
    is logged as such. Each is marked due now, so the next run leaves it to its new task."""
    now = timezone.now()
    requeued = []
    with transaction.atomic():
        locked = stuck(now, after).select_for_update(of=("self",))  # not the endpoints
        for delivery in locked.order_by("created_at", "id"):
            fields = ["next_attempt_at", "attempt_started_at"]
            if delivery.attempt_started_at is not None:
                entry = {
                    "at": delivery.attempt_started_at.isoformat(),
                    "status_code": None,
                    "error": NO_OUTCOME,
                    "duration_ms": None,
                }
                delivery.attempt_log = [*delivery.attempt_log, entry]
                delivery.last_status_code, delivery.last_error = None, NO_OUTCOME
                fields += ["attempt_log", "last_status_code", "last_error"]
            delivery.next_attempt_at, delivery.attempt_started_at = now, None
            delivery.save(update_fields=fields)
            requeued.append(delivery.pk)
        transaction.on_commit(lambda: [deliver.enqueue(pk) for pk in requeued])
    return len(requeued)


def forget_finished(*, older_than: timedelta, batch: int = 5_000) -> int:
    """Delete delivered and given-up deliveries created longer than ``older_than`` ago, in
    batches; how many. Pending ones stay, however old (a paused endpoint's wait for it)."""
    since = timezone.now() - older_than
    finished = WebhookDelivery.objects.filter(
        state__in=[State.DELIVERED, State.FAILED], created_at__lt=since
    )
    total = 0
    while keys := list(finished.order_by("id").values_list("id", flat=True)[:batch]):
        WebhookDelivery.objects.filter(id__in=keys).delete()
        total += len(keys)
    return total


def upkeep(*, stuck_after: timedelta, keep: timedelta) -> Upkeep:
    return Upkeep(
        requeued=requeue_stuck(after=stuck_after), forgotten=forget_finished(older_than=keep)
    )
