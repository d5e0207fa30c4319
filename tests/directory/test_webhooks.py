"""Webhooks against a real receiver: a small HTTP server on 127.0.0.1 in the test, and the real
task queue (``db_worker``). Nothing is sent anywhere else."""

import json
import re
import shutil
import ssl
import subprocess
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from directory.models import Status, WebhookDelivery, WebhookEndpoint
from directory.services.moderation import decide
from directory.webhooks import signing
from tests.factories import InitiativeFactory, OrganizationFactory

# The worker and on_commit need real transactions (as in test_alerts.py).
pytestmark = pytest.mark.django_db(transaction=True)

LISTING_EVENTS = ["listing.published", "listing.changed", "listing.withdrawn"]


class Receiver:
    """A partner's endpoint: records every request and answers with the planned statuses
    (then 200)."""

    def __init__(self, tls: tuple[Path, Path] | None = None):
        self.requests: list[dict] = []
        self.plan: list[int] = []
        self.always: int | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = receiver.always or (receiver.plan.pop(0) if receiver.plan else 200)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # a throwaway port
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        if tls:  # HTTPS with a certificate for "localhost" (which resolves to 127.0.0.1)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://localhost:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver is on loopback
    settings.SITE_URL = "http://testserver"
    settings.WEBHOOK_TIMEOUT = 5
    call_command("loaddata", "goals", "roles", verbosity=0)


def recipe_from_docs():
    """The ``verify`` function of docs/api.md's "Webhooks", run as a partner would copy it."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    block = re.search(r"```python\n(import hashlib.*?def verify.*?)```", text, re.S).group(1)
    namespace = {}
    exec(block, namespace)  # our own documentation
    return namespace["verify"]


def run_worker():
    call_command(
        "db_worker", batch=True, no_startup_delay=True, stdout=StringIO(), stderr=StringIO()
    )


def register(client, api_key, url, events=LISTING_EVENTS, **extra):
    response = client.post(
        "/api/v1/webhooks/",
        {"url": url, "events": events, "contact_email": "ops@partner.example", **extra},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {api_key}",
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def org():
    """A published organization, made before any endpoint is registered."""
    return OrganizationFactory()


def pending_initiative(organization):
    return InitiativeFactory(organization=organization, status=Status.PENDING, published_at=None)


def test_a_published_listing_is_delivered_once_signed_with_the_feed_item(
    client, api_key, org, receiver
):
    endpoint = register(client, api_key, receiver.url)
    initiative = pending_initiative(org)
    run_worker()
    assert receiver.requests == []  # a pending listing is not public: nothing to announce

    decide(by=None, target=initiative, action="approve")
    run_worker()
    run_worker()  # a second run sends nothing again

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hook"
    assert headers["X-MPDB-Event"] == "listing.published"
    # The signature verifies with the secret the partner was given, over timestamp and body …
    assert signing.verify(
        endpoint["secret"], body, headers["X-MPDB-Timestamp"], headers["X-MPDB-Signature"]
    )
    # … and with the few lines of Python docs/api.md gives partners.
    docs_verify = recipe_from_docs()
    assert docs_verify(
        endpoint["secret"], body, headers["X-MPDB-Timestamp"], headers["X-MPDB-Signature"]
    )
    assert not docs_verify(
        "whsec_other", body, headers["X-MPDB-Timestamp"], headers["X-MPDB-Signature"]
    )
    assert abs(time.time() - int(headers["X-MPDB-Timestamp"])) < 60
    # A changed body, another secret or an old timestamp does not verify.
    assert not signing.verify(
        endpoint["secret"], body + b" ", headers["X-MPDB-Timestamp"], headers["X-MPDB-Signature"]
    )
    assert not signing.verify(
        "whsec_other", body, headers["X-MPDB-Timestamp"], headers["X-MPDB-Signature"]
    )
    assert not signing.verify(
        endpoint["secret"],
        body,
        headers["X-MPDB-Timestamp"],
        headers["X-MPDB-Signature"],
        now=time.time() + 3600,
    )

    payload = json.loads(body)
    assert payload["event"] == "listing.published"
    assert payload["id"] == headers["X-MPDB-Delivery"]
    # The item is exactly what the change feed gives for this listing.
    feed = client.get("/api/v1/changes/").json()["results"]
    (feed_item,) = [item for item in feed if item["id"] == str(initiative.uuid)]
    assert payload["item"] == feed_item
    assert payload["item"]["object"]["title"] == initiative.title

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("delivered", 1)


def test_a_refused_delivery_is_retried_after_the_backoff(client, api_key, org, receiver):
    register(client, api_key, receiver.url)
    receiver.plan = [503]
    initiative = pending_initiative(org)
    decide(by=None, target=initiative, action="approve")

    run_worker()
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)

    run_worker()  # not due yet: the worker leaves it
    assert len(receiver.requests) == 1

    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=2)
    ):
        run_worker()
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first["body"] == second["body"]  # the same delivery, signed again
    assert first["headers"]["X-MPDB-Delivery"] == second["headers"]["X-MPDB-Delivery"]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    assert [entry["status_code"] for entry in delivery.attempt_log] == [503, 200]


def test_a_refused_connection_is_retried_too(client, api_key, org, receiver):
    register(client, api_key, receiver.url)
    receiver.close()  # nothing listens on the port any more
    decide(by=None, target=pending_initiative(org), action="approve")
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending" and delivery.last_status_code is None
    assert "ConnectionRefusedError" in delivery.last_error
    assert delivery.next_attempt_at is not None


def test_one_delivery_per_change_however_many_saves_it_took(client, api_key, receiver):
    initiative = InitiativeFactory()
    register(client, api_key, receiver.url)
    from goals.models import Goal

    with transaction.atomic():  # one edit: the fields, then the goals
        initiative.summary = "Now also in the next county."
        initiative.save()
        initiative.goals.set(Goal.objects.all()[:2])
        initiative.save()
    run_worker()
    assert [p["event"] for p in receiver.payloads()] == ["listing.changed"]
    assert len(receiver.payloads()[0]["item"]["object"]["goals"]) == 2


def test_no_delivery_for_a_change_that_was_rolled_back(client, api_key, org, receiver):
    register(client, api_key, receiver.url)
    initiative = pending_initiative(org)
    with pytest.raises(RuntimeError), transaction.atomic():
        initiative.status = Status.PUBLISHED
        initiative.save()
        raise RuntimeError("something later in the request failed")
    run_worker()
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()

    # The next transaction is announced (the rolled-back one left nothing behind).
    decide(by=None, target=initiative, action="approve")
    run_worker()
    assert [p["event"] for p in receiver.payloads()] == ["listing.published"]


def test_withdrawn_and_cancelled_are_tombstones_and_follow_the_organization(
    client, api_key, receiver
):
    from directory.models import Event

    register(client, api_key, receiver.url, events=[*LISTING_EVENTS, "event.cancelled"])
    initiative = InitiativeFactory()
    organization = initiative.organization
    event = Event.objects.create(
        organization=organization,
        title="Town talk",
        slug="town-talk",
        summary="Talk.",
        starts_at=timezone.now() + timedelta(days=3),
        status=Status.PUBLISHED,
        mode="online",
        join_url="https://example.org/join",
        scope="online",
    )
    run_worker()
    receiver.requests.clear()

    decide(by=None, target=organization, action="archive")
    run_worker()
    got = {(p["event"], p["item"]["type"], p["item"]["id"]) for p in receiver.payloads()}
    assert got == {
        ("listing.withdrawn", "organization", str(organization.uuid)),
        ("listing.withdrawn", "initiative", str(initiative.uuid)),
        ("event.cancelled", "event", str(event.uuid)),
    }
    assert all(set(p["item"]) == {"type", "id", "removed_at"} for p in receiver.payloads())


def test_an_endpoint_gets_only_the_events_it_chose(client, api_key, org, receiver):
    register(client, api_key, receiver.url, events=["event.published"])
    decide(by=None, target=pending_initiative(org), action="approve")
    run_worker()
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_an_endpoint_failing_for_a_day_is_paused_and_its_contact_told(
    client, api_key, org, receiver
):
    endpoint = register(client, api_key, receiver.url)
    receiver.always = 500
    decide(by=None, target=pending_initiative(org), action="approve")
    start = timezone.now()
    run_worker()
    assert len(receiver.requests) == 1

    def at(hours):
        return mock.patch("django.utils.timezone.now", return_value=start + timedelta(hours=hours))

    with at(23):  # failing for 23 hours: retried, not paused
        run_worker()
    assert len(receiver.requests) == 2
    assert WebhookEndpoint.objects.get().paused_at is None
    mail.outbox.clear()

    with at(25):  # the next failure is more than a day after the first: paused
        run_worker()
    assert len(receiver.requests) == 3
    paused = WebhookEndpoint.objects.get()
    assert paused.paused_at is not None
    (message,) = mail.outbox
    assert message.to == ["ops@partner.example"]
    assert receiver.url in message.body and "/resume/" in message.body

    # Paused: nothing is sent, not the retry nor a new change; both wait in the log.
    decide(by=None, target=pending_initiative(org), action="approve")
    with at(30):
        run_worker()
    assert len(receiver.requests) == 3
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}"}
    shown = client.get(f"/api/v1/webhooks/{endpoint['id']}/", **auth).json()
    assert shown["paused"] is True
    log = client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/", **auth).json()
    assert [d["state"] for d in log["results"]] == ["pending", "pending"]
    assert len(log["results"][1]["attempt_log"]) == 3

    # Resumed once it answers again: what waited is sent.
    receiver.always = None
    response = client.post(f"/api/v1/webhooks/{endpoint['id']}/resume/", **auth)
    assert response.status_code == 200 and response.json()["paused"] is False
    run_worker()
    assert len(receiver.requests) == 5
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}


def test_private_addresses_are_refused_in_production(client, api_key, org, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}"}
    for url in [
        receiver.url,
        "http://localhost:9/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.0.10/",
        "http://intranet/",
        "http://printer.local/",
        "http://[::ffff:127.0.0.1]/",
        "ftp://partner.example.org/",
        "https://user:pw@partner.example.org/hook",
    ]:
        response = client.post(
            "/api/v1/webhooks/",
            {"url": url, "events": ["listing.published"], "contact_email": "a@partner.example"},
            content_type="application/json",
            **auth,
        )
        assert response.status_code == 400, url
        assert "url" in response.json()
    # A public name is accepted without being looked up.
    response = client.post(
        "/api/v1/webhooks/",
        {
            "url": "https://hooks.partner.example.org/mpdb",
            "events": ["listing.published"],
            "contact_email": "a@partner.example",
        },
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201

    # An endpoint stored with a loopback address is never contacted either.
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    register(client, api_key, receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    WebhookEndpoint.objects.exclude(url=receiver.url).delete()
    decide(by=None, target=pending_initiative(org), action="approve")
    run_worker()
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().last_error.startswith("refused:")


def test_endpoints_belong_to_their_key(client, api_key, receiver):
    from rest_framework_api_key.models import APIKey

    endpoint = register(client, api_key, receiver.url, description="Our mirror")
    _, other_key = APIKey.objects.create_key(name="Another partner")
    mine = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}"}
    theirs = {"HTTP_AUTHORIZATION": f"Api-Key {other_key}"}
    path = f"/api/v1/webhooks/{endpoint['id']}/"

    no_key = client.get("/api/v1/webhooks/")
    assert no_key.status_code == 401 and no_key["WWW-Authenticate"] == "Api-Key"
    assert (
        client.get("/api/v1/webhooks/", HTTP_AUTHORIZATION="Api-Key wrong.key").status_code == 401
    )
    assert client.get("/api/v1/webhooks/", **theirs).json() == []
    for method in ("get", "patch", "delete"):
        assert getattr(client, method)(path, **theirs).status_code == 404
    assert client.get(f"{path}deliveries/", **theirs).status_code == 404
    assert client.get("/api/v1/webhooks/not-an-id/", **mine).status_code == 404

    listed = client.get("/api/v1/webhooks/", **mine).json()
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert endpoint["secret"].startswith("whsec_") and endpoint["paused"] is False
    changed = client.patch(
        path,
        {"events": ["event.cancelled", "event.cancelled"]},
        content_type="application/json",
        **mine,
    )
    assert changed.status_code == 200 and changed.json()["events"] == ["event.cancelled"]
    bad = client.patch(
        path, {"events": ["listing.deleted"]}, content_type="application/json", **mine
    )
    assert bad.status_code == 400 and "events" in bad.json()

    # A ping is a signed test delivery.
    assert client.post(f"{path}ping/", **mine).status_code == 202
    run_worker()
    (request,) = receiver.requests
    assert request["headers"]["X-MPDB-Event"] == "ping"
    assert signing.verify(
        endpoint["secret"],
        request["body"],
        request["headers"]["X-MPDB-Timestamp"],
        request["headers"]["X-MPDB-Signature"],
    )
    log = client.get(f"{path}deliveries/", **mine).json()
    assert log["count"] == 1 and log["results"][0]["state"] == "delivered"

    assert client.delete(path, **mine).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_curators_see_the_delivery_log_and_pause_an_endpoint(client, api_key, org, receiver):
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from directory.services.curators import ensure_curators_group

    endpoint = register(client, api_key, receiver.url)
    decide(by=None, target=pending_initiative(org), action="approve")
    run_worker()
    curator = get_user_model().objects.create_user(
        "cur", "curator@example.org", "pw-Long-enough-1", is_staff=True
    )
    ensure_curators_group()
    curator.groups.add(Group.objects.get(name="Curators"))
    EmailAddress.objects.create(user=curator, email=curator.email, verified=True, primary=True)
    client.force_login(curator)

    page = client.get("/admin/directory/webhookdelivery/")
    assert page.status_code == 200
    assert b"listing.published" in page.content
    delivery = WebhookDelivery.objects.get()
    detail = client.get(f"/admin/directory/webhookdelivery/{delivery.pk}/change/")
    assert detail.status_code == 200 and b"whsec_" not in detail.content
    stored = WebhookEndpoint.objects.get(uuid=endpoint["id"])
    shown = client.get(f"/admin/directory/webhookendpoint/{stored.pk}/change/")
    assert shown.status_code == 200 and endpoint["secret"].encode() not in shown.content

    client.post(
        "/admin/directory/webhookendpoint/",
        {"action": "pause", "_selected_action": [stored.pk]},
    )
    stored.refresh_from_db()
    assert stored.paused_at is not None
    decide(by=None, target=pending_initiative(org), action="approve")
    run_worker()
    assert len(receiver.requests) == 1  # paused by the curator: nothing more was sent


def test_a_deleted_organization_is_withdrawn(client, api_key, receiver):
    register(client, api_key, receiver.url)
    organization = OrganizationFactory()
    run_worker()
    receiver.requests.clear()
    uuid = str(organization.uuid)
    organization.delete()
    run_worker()
    (payload,) = receiver.payloads()
    assert payload["event"] == "listing.withdrawn" and payload["item"]["id"] == uuid


def test_nothing_is_sent_for_a_revoked_key(client, api_key, org, receiver):
    from rest_framework_api_key.models import APIKey

    register(client, api_key, receiver.url)
    decide(by=None, target=pending_initiative(org), action="approve")  # queued, not yet sent
    APIKey.objects.update(revoked=True)
    decide(by=None, target=pending_initiative(org), action="approve")  # after the revocation
    run_worker()
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed" and "revoked" in delivery.last_error


def test_the_openapi_schema_covers_the_webhook_endpoints(client):
    spec = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = {
        (path, method)
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1/webhooks/")
        for method in item
        if method in ("get", "post", "patch", "delete")
    }
    assert operations == {
        ("/api/v1/webhooks/", "get"),
        ("/api/v1/webhooks/", "post"),
        ("/api/v1/webhooks/{id}/", "get"),
        ("/api/v1/webhooks/{id}/", "patch"),
        ("/api/v1/webhooks/{id}/", "delete"),
        ("/api/v1/webhooks/{id}/deliveries/", "get"),
        ("/api/v1/webhooks/{id}/ping/", "post"),
        ("/api/v1/webhooks/{id}/resume/", "post"),
    }
    for path, method in operations:
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"ApiKeyAuth": []}]
        assert "401" in operation["responses"]
    events = spec["components"]["schemas"]["WebhookEndpointRequest"]["properties"]["events"]
    enum = spec["components"]["schemas"][events["items"]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert set(enum) == {
        "listing.published",
        "listing.changed",
        "listing.withdrawn",
        "event.published",
        "event.changed",
        "event.cancelled",
    }


def test_a_delivery_is_given_up_after_the_last_attempt(client, api_key, org, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    register(client, api_key, receiver.url)
    receiver.always = 500
    decide(by=None, target=pending_initiative(org), action="approve")
    start = timezone.now()
    for minutes in (0, 2, 10, 60):  # the retries are due after 1 and then 2 more minutes
        with mock.patch(
            "django.utils.timezone.now", return_value=start + timedelta(minutes=minutes)
        ):
            run_worker()
    assert len(receiver.requests) == 3
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert [entry["status_code"] for entry in delivery.attempt_log] == [500, 500, 500]
    assert WebhookEndpoint.objects.get().paused_at is None  # an hour of failures is not a day


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl makes the test certificate")
def test_https_deliveries_check_the_certificate_against_the_host_name(
    client, api_key, org, tmp_path
):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    receiver = Receiver(tls=(cert, key))
    try:
        endpoint = register(client, api_key, receiver.url)
        trusting = ssl.create_default_context(cafile=str(cert))
        decide(by=None, target=pending_initiative(org), action="approve")
        with mock.patch("ssl.create_default_context", return_value=trusting):
            run_worker()
        (request,) = receiver.requests
        assert request["headers"]["Host"] == f"localhost:{receiver.server.server_port}"
        assert signing.verify(
            endpoint["secret"],
            request["body"],
            request["headers"]["X-MPDB-Timestamp"],
            request["headers"]["X-MPDB-Signature"],
        )

        # A certificate the worker does not trust: nothing is sent, the failure is logged.
        decide(by=None, target=pending_initiative(org), action="approve")
        run_worker()
        assert len(receiver.requests) == 1
        failed = WebhookDelivery.objects.get(state="pending")
        assert "CERTIFICATE_VERIFY_FAILED" in failed.last_error
    finally:
        receiver.close()


def test_a_multipart_body_holding_no_field_is_a_400_not_an_empty_edit(client, api_key):
    """Text before a closing boundary is no form: a PATCH with it must not answer 200 having
    changed nothing (found by schemathesis); a real multipart form still works."""
    url = f"/api/v1/webhooks/{register(client, api_key, 'https://partner.example.org/hook')['id']}/"
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}"}
    boundary = "c23cca6cc5ce2fc3c8f34c978635bf0b"
    multipart = f"multipart/form-data; boundary={boundary}"
    refused = client.patch(
        url, f"\u00e8--{boundary}--\r\n".encode(), content_type=multipart, **auth
    )
    assert refused.status_code == 400, refused.content
    assert "no form field" in refused.json()["detail"]
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n'
        f"Our hook\r\n--{boundary}--\r\n"
    ).encode()
    edited = client.patch(url, form, content_type=multipart, **auth)
    assert edited.status_code == 200, edited.content
    assert WebhookEndpoint.objects.get().description == "Our hook"


def upkeep(**options) -> str:
    out = StringIO()
    call_command("webhook_upkeep", stdout=out, **options)
    return out.getvalue()


def test_a_delivery_whose_worker_died_mid_attempt_is_sent_again_by_the_upkeep(
    client, api_key, org, receiver
):
    from django_tasks_db.models import DBTaskResult

    register(client, api_key, receiver.url)
    decide(by=None, target=pending_initiative(org), action="approve")
    delivery = WebhookDelivery.objects.get()
    # A worker claimed the attempt and was killed before it finished: its task is gone from the
    # queue, the delivery stays pending with an attempt begun 20 minutes ago.
    started = timezone.now() - timedelta(minutes=20)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=1, attempt_started_at=started)
    DBTaskResult.objects.all().delete()
    run_worker()
    assert receiver.requests == []  # nothing would ever send it

    assert upkeep().startswith("1 stuck deliveries queued again")
    assert upkeep().startswith("0 stuck")  # queued once, not at every run
    run_worker()
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.attempt_started_at) == (
        "delivered",
        2,
        None,
    )
    lost, sent = delivery.attempt_log
    assert (lost["status_code"], lost["at"]) == (None, started.isoformat())
    assert "never finished" in lost["error"]
    assert sent["status_code"] == 200


def test_the_upkeep_leaves_what_will_be_sent_and_forgets_old_finished_deliveries(
    client, api_key, receiver
):
    register(client, api_key, receiver.url)
    register(client, api_key, receiver.url + "/paused")
    active, paused = WebhookEndpoint.objects.order_by("id")
    paused.paused_at = timezone.now()
    paused.save()
    now = timezone.now()

    def delivery(endpoint, *, age, **fields):
        made = WebhookDelivery.objects.create(endpoint=endpoint, event="ping", body="{}", **fields)
        WebhookDelivery.objects.filter(pk=made.pk).update(created_at=now - age)
        return made.pk

    old = timedelta(days=40)
    kept = [
        # a retry due later, an attempt under way, a paused endpoint's waiting change, a change
        # just made (its task is queued): each will be sent without the upkeep
        delivery(active, age=old, attempts=1, next_attempt_at=now + timedelta(minutes=30)),
        delivery(active, age=old, attempts=1, attempt_started_at=now - timedelta(minutes=1)),
        delivery(paused, age=old),
        delivery(active, age=timedelta(minutes=1)),
        # finished, but recent
        delivery(active, age=timedelta(days=5), state="delivered", delivered_at=now),
    ]
    lost = [
        delivery(active, age=timedelta(hours=1)),  # its task never ran
        delivery(active, age=old, attempts=2, next_attempt_at=now - timedelta(hours=1)),
    ]
    forgotten = [
        delivery(active, age=old, state="delivered", delivered_at=now - old),
        delivery(active, age=old, state="failed", attempts=30),
    ]
    assert upkeep() == (
        "2 stuck deliveries queued again; 2 finished deliveries older than 30 days forgotten\n"
    )
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {*kept, *lost}
    assert not WebhookDelivery.objects.filter(pk__in=forgotten).exists()
    requeued = WebhookDelivery.objects.filter(pk__in=lost)
    assert all(abs(d.next_attempt_at - now) < timedelta(minutes=1) for d in requeued)
    run_worker()  # the two lost ones are sent now (the others are not due, or paused)
    assert sorted(
        WebhookDelivery.objects.filter(state="delivered").values_list("pk", flat=True)
    ) == sorted([kept[-1], *lost])
    assert len(receiver.requests) == 2


def test_the_upkeep_refuses_a_window_of_nothing():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        upkeep(keep_days=0)
