"""Saved-search alerts: double opt-in, exactly the new matches once, one-click unsubscribe."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from directory.models import Alert
from goals.models import Goal
from tests.factories import InitiativeFactory

# The worker closes database connections as a long-running process should, so these tests run
# outside a wrapping transaction (pytest-django runs them after the others) and load what they use.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def taxonomy():
    call_command("loaddata", "goals", "roles", verbosity=0)


def run_schedule():
    """What cron does: queue the due alerts, then the worker sends them (the real queue)."""
    call_command("send_alerts", stdout=StringIO())
    call_command(
        "db_worker", batch=True, no_startup_delay=True, stdout=StringIO(), stderr=StringIO()
    )


def subscribe(client, query="goal=reconciliation", kind="initiatives", frequency="daily"):
    response = client.post(
        "/alerts/subscribe/",
        {"email": "reader@example.org", "frequency": frequency, "kind": kind, "query": query},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Alert.objects.get(email="reader@example.org", query=query)


def confirm(client, alert):
    link = re.search(r"http://testserver(/alerts/confirm/\S+)", mail.outbox[-1].body).group(1)
    assert client.get(link).status_code == 200  # a page with a button: scanners don't confirm
    client.post(link)
    alert.refresh_from_db()
    return alert


def age(alert, days=2):
    Alert.objects.filter(pk=alert.pk).update(
        matched_until=timezone.now() - timedelta(days=days),
        confirmed_at=timezone.now() - timedelta(days=days),
    )


def test_nothing_is_sent_before_the_address_is_confirmed(client):
    alert = subscribe(client)
    assert "Confirm your MPDB Directory alert" in mail.outbox[-1].subject
    InitiativeFactory(goals=[Goal.objects.get(slug="reconciliation")])
    sent_before = len(mail.outbox)
    run_schedule()
    assert len(mail.outbox) == sent_before
    assert alert.confirmed_at is None


def test_each_email_lists_only_new_matches_and_running_twice_sends_nothing_twice(client):
    reconciliation = Goal.objects.get(slug="reconciliation")
    InitiativeFactory(
        title="Old healing circle",
        goals=[reconciliation],
        published_at=timezone.now() - timedelta(days=10),
    )
    alert = confirm(client, subscribe(client))
    age(alert)
    InitiativeFactory(title="New healing circle", goals=[reconciliation])
    InitiativeFactory(title="New but unrelated", goals=[Goal.objects.get(slug="compromise")])
    InitiativeFactory(title="New but pending", goals=[reconciliation], status="pending")

    before = len(mail.outbox)
    run_schedule()
    run_schedule()  # the job runs again: no duplicate
    sent = mail.outbox[before:]
    assert len(sent) == 1
    body = sent[0].body
    assert "New healing circle" in body
    assert "Old healing circle" not in body and "unrelated" not in body and "pending" not in body
    assert "/alerts/unsubscribe/" in body
    alert.refresh_from_db()
    assert alert.last_sent_at is not None


def test_nothing_new_means_no_email(client):
    alert = confirm(client, subscribe(client))
    age(alert)
    before = len(mail.outbox)
    run_schedule()
    assert len(mail.outbox) == before


def test_unsubscribing_asks_first_then_one_post_stops_the_alert(client):
    alert = confirm(client, subscribe(client))
    age(alert)
    InitiativeFactory(goals=[Goal.objects.get(slug="reconciliation")])
    before = len(mail.outbox)
    run_schedule()
    (message,) = mail.outbox[before:]
    link = f"/alerts/unsubscribe/{alert.token}/"
    assert f"Stop these e-mails (no sign-in needed): http://127.0.0.1:8000{link}" in message.body
    # Mail clients offer their own one-click unsubscribe, which POSTs to the link (RFC 8058).
    assert message.extra_headers["List-Unsubscribe"] == f"<http://127.0.0.1:8000{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # A mail scanner following the link changes nothing: the page asks.
    page = client.get(link)
    assert page.status_code == 200 and "Yes, unsubscribe" in page.content.decode()
    alert.refresh_from_db()
    assert alert.unsubscribed_at is None

    # The mail client's POST carries no CSRF token and no session; it must work all the same.
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        link, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    alert.refresh_from_db()
    assert alert.unsubscribed_at is not None
    InitiativeFactory(goals=[Goal.objects.get(slug="reconciliation")])
    age(alert)
    before = len(mail.outbox)
    run_schedule()
    assert len(mail.outbox) == before


def test_one_address_gets_only_a_few_confirmation_emails_whoever_asks(client):
    """29 confirmations to one victim from one IP in seconds: now 3 a day per address."""
    codes = []
    for n in range(5):
        other = Client(REMOTE_ADDR=f"192.0.2.{n + 1}")  # each from another address, even
        data = {"email": "Victim@example.org", "frequency": "daily", "kind": "initiatives"}
        codes.append(other.post("/alerts/subscribe/", {**data, "query": f"q=word{n}"}).status_code)
    assert codes == [302, 302, 302, 429, 429]
    assert Alert.objects.filter(email__iexact="victim@example.org").count() == 3
    assert len([m for m in mail.outbox if m.to == ["Victim@example.org"]]) == 3


def test_one_ip_may_ask_for_only_so_many_confirmation_emails(client, settings):
    settings.MAIL_RATE_PER_SENDER = "4/h"
    data = {"frequency": "daily", "kind": "initiatives", "query": ""}
    codes = [
        client.post("/alerts/subscribe/", {**data, "email": f"reader{n}@example.org"}).status_code
        for n in range(5)
    ]
    assert codes == [302, 302, 302, 302, 429]
    assert Alert.objects.count() == 4


def test_weekly_alerts_wait_a_week(client):
    alert = confirm(client, subscribe(client, frequency="weekly"))
    Alert.objects.filter(pk=alert.pk).update(last_run_at=timezone.now() - timedelta(days=3))
    InitiativeFactory(goals=[Goal.objects.get(slug="reconciliation")])
    before = len(mail.outbox)
    run_schedule()
    assert len(mail.outbox) == before
    Alert.objects.filter(pk=alert.pk).update(
        last_run_at=timezone.now() - timedelta(days=8),
        matched_until=timezone.now() - timedelta(days=8),
    )
    run_schedule()
    assert len(mail.outbox) == before + 1


def test_a_refused_send_is_retried_next_time_and_loses_nothing(client, settings):
    alert = confirm(client, subscribe(client))
    age(alert)
    InitiativeFactory(
        title="Waiting for the mail server", goals=[Goal.objects.get(slug="reconciliation")]
    )
    settings.EMAIL_BACKEND = "tests.accounts.failing_mail.FailingBackend"
    run_schedule()
    alert.refresh_from_db()
    assert alert.last_sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    before = len(mail.outbox)
    run_schedule()
    assert len(mail.outbox) == before + 1
    assert "Waiting for the mail server" in mail.outbox[-1].body


def test_event_alerts_and_bad_searches(client):
    alert = subscribe(client, query="mode=online", kind="events")
    assert alert.kind == "events"
    bad = client.post(
        "/alerts/subscribe/",
        {
            "email": "x@example.org",
            "frequency": "daily",
            "kind": "initiatives",
            "query": "near=abc",
        },
    )
    assert bad.status_code == 400
    assert not Alert.objects.filter(email="x@example.org").exists()


def test_an_alert_keeps_only_the_known_filters_of_its_query(client):
    client.post(
        "/alerts/subscribe/",
        {
            "email": "x@example.org",
            "frequency": "daily",
            "kind": "initiatives",
            "query": "goal=compromise&\n\nURGENT verify at https://evil.example\n\n=1&state=CO",
        },
    )
    alert = Alert.objects.get()
    assert alert.query == "goal=compromise&state=CO"
    assert "evil.example" not in mail.outbox[-1].body
    assert "goal=compromise&state=CO" in mail.outbox[-1].body  # not &amp; in a text e-mail


def test_the_list_page_offers_the_alert_for_the_current_search(client):
    html = client.get("/initiatives/?goal=reconciliation&page=2&sort=name").content.decode()
    assert "E-mail me when new matches appear" in html
    assert 'name="query" value="goal=reconciliation"' in html
