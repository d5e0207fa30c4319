"""Saved-search alerts: subscribe (double opt-in), send exactly the new matches, unsubscribe."""

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_tasks import task

from directory.models import Alert, Event, Initiative
from directory.search.filters import EventFilter, InitiativeFilter
from directory.services.notify import send

IGNORED = ("page", "page_size", "view", "sort", "month")
MAX_LISTED = 50


def normalize_query(params: QueryDict, kind: str = "initiatives") -> str:
    """The search as a query string of known filter names only (nothing else is kept)."""
    known = set((InitiativeFilter if kind == "initiatives" else EventFilter).base_filters)
    data = QueryDict(mutable=True)
    for key in params:
        if key in known and key not in IGNORED:
            data.setlist(key, [v for v in params.getlist(key) if v.strip()][:20])
    return data.urlencode()


def _filterset(alert: Alert):
    model, filterset = (
        (Initiative, InitiativeFilter)
        if alert.kind == Alert.Kind.INITIATIVES
        else (Event, EventFilter)
    )
    return filterset(QueryDict(alert.query), queryset=model.objects.published())


def query_is_valid(kind: str, query: str) -> bool:
    return _filterset(Alert(kind=kind, query=query)).is_valid()


def alert_subscribe(
    *, email: str, kind: str, query: str, frequency: str, base_url: str
) -> tuple[Alert, bool]:
    """Save an unconfirmed alert and e-mail the confirmation link (double opt-in)."""
    query = normalize_query(QueryDict(query), kind)
    alert = Alert.objects.create(
        email=email,
        kind=kind,
        query=query,
        frequency=frequency,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    sent = send(
        to=email,
        subject=_("Confirm your MPDB Directory alert"),
        template="directory/email/alert_confirm.txt",
        sensitive=True,  # the opt-in link
        context={
            "alert": alert,
            "link": base_url + reverse("directory:alert-confirm", args=[alert.token]),
            "search": base_url + alert.search_url(),
        },
    )
    return alert, sent


def alert_confirm(alert: Alert) -> None:
    if alert.confirmed_at is None:
        now = timezone.now()
        # Only listings published from now on are "new" for this subscriber.
        Alert.objects.filter(pk=alert.pk).update(confirmed_at=now, matched_until=now)
        alert.confirmed_at = alert.matched_until = now


def due_alerts(now=None):
    now = now or timezone.now()
    candidates = Alert.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
    return [alert for alert in candidates.iterator() if alert.is_due(now)]


@task()
def send_alert(alert_id: int, base_url: str) -> int:
    """E-mail one subscriber the new matches of their search; return how many were listed.

    Locks the alert and re-checks that it is due, so a second run (or a duplicate task) sends
    nothing twice. If the mail server refuses, nothing is marked sent and the next run retries.
    """
    now = timezone.now()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None or not alert.is_due(now):
            return 0
        filterset = _filterset(alert)
        matches = []
        if filterset.is_valid():
            matches = list(
                filterset.qs.filter(published_at__gt=alert.matched_until, published_at__lte=now)
                .select_related("organization")
                .order_by("published_at")[: MAX_LISTED + 1]
            )
        if matches:
            count = len(matches[:MAX_LISTED])
            if alert.kind == Alert.Kind.EVENTS:
                subject = ngettext_lazy(
                    "%(count)s new event for your search",
                    "%(count)s new events for your search",
                    "count",
                )
            else:
                subject = ngettext_lazy(
                    "%(count)s new initiative for your search",
                    "%(count)s new initiatives for your search",
                    "count",
                )
            unsubscribe = base_url + reverse("directory:alert-unsubscribe", args=[alert.token])
            ok = send(
                to=alert.email,
                language=alert.language,
                subject=subject,
                subject_params={"count": count},
                template="directory/email/alert.txt",
                queue=False,  # not sent again alone: this task is retried whole on the next run
                context={
                    "alert": alert,
                    "matches": matches[:MAX_LISTED],
                    "more": len(matches) > MAX_LISTED,
                    "base_url": base_url,
                    "search": base_url + alert.search_url(),
                    "unsubscribe": unsubscribe,
                },
                # Mail clients offer their own "unsubscribe" and POST to the link (RFC 8058).
                headers={
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            if not ok:
                raise RuntimeError(f"Alert {alert.pk} not sent; it will be retried on the next run")
            alert.last_sent_at = now
        alert.matched_until = now
        alert.last_run_at = now
        alert.save(update_fields=["matched_until", "last_run_at", "last_sent_at"])
    return len(matches[:MAX_LISTED])
