"""A mail server that refuses mail loses nothing: the record is saved, the e-mail is queued on the
task queue (``directory.services.mail``), the worker (``db_worker``) sends it later, backing off and giving
up after N attempts, and curators see a given-up message in the admin and send it again. A
decision is ``notified`` only once its e-mail is delivered. Password-reset and confirmation texts
are never logged or shown."""

import logging
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext_lazy

from directory.models import ClaimRequest, Initiative, QueuedMail, UserLanguage
from directory.services import mail as mail_queue
from directory.services.moderation import decide
from directory.services.notify import send
from tests.browser.helpers import PASSWORD, make_user
from tests.factories import InitiativeFactory, OrganizationFactory

# The worker closes database connections as a long-running process should, so these tests run
# outside a wrapping transaction (pytest-django runs them after the others) and load what they use.
pytestmark = pytest.mark.django_db(transaction=True)

FAILING = "tests.accounts.failing_mail.FailingBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
Status = QueuedMail.Status


@pytest.fixture(autouse=True)
def taxonomy():
    call_command("loaddata", "goals", "roles", verbosity=0)


@pytest.fixture
def refusing(settings):
    settings.EMAIL_BACKEND = FAILING
    return settings


def logged(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def run_worker():
    """What ``manage.py db_worker`` does, until nothing is due."""
    call_command(
        "db_worker", batch=True, no_startup_delay=True, stdout=StringIO(), stderr=StringIO()
    )


def make_due():
    """The time of every waiting attempt has come."""
    QueuedMail.objects.filter(status=Status.READY).update(run_after=timezone.now())


def waiting() -> QueuedMail:
    return QueuedMail.objects.get(status=Status.READY)


def wait_of(attempt: QueuedMail) -> timedelta:
    """How long after it was queued an attempt is due (to the second)."""
    return timedelta(seconds=round((attempt.run_after - attempt.enqueued_at).total_seconds()))


def send_stale_notice() -> bool:
    return send(
        to="someone@example.org",
        subject=gettext_lazy("Approved"),
        template="directory/email/stale.txt",
        context={"listing": "X", "link": "/"},
    )


def curator_client() -> Client:
    client = Client()
    client.force_login(make_user("curator@example.org", curator=True))
    return client


def test_a_claim_is_saved_and_its_refused_mail_is_sent_when_due(client, refusing, caplog):
    client.force_login(make_user("member@example.org"))
    org = OrganizationFactory(website="https://civicbridge.example")
    caplog.set_level(logging.INFO)
    response = client.post(
        f"/organizations/{org.slug}/claim/",
        {"evidence": "domain_email", "work_email": "me@civicbridge.example", "message": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "We will send it again automatically" in response.content.decode()
    claim = ClaimRequest.objects.get(work_email="me@civicbridge.example")

    queued = waiting()
    assert queued.mail["to"] == ["me@civicbridge.example"]
    assert queued.mail["template"] == "directory/email/claim_verify.txt"
    assert queued.mail["sensitive"]  # the link proves control of the address
    assert queued.attempt == 2  # the first was made at once
    assert wait_of(queued) == timedelta(seconds=refusing.MAIL_RETRY_BASE)
    assert claim.token in queued.mail["body"]
    assert claim.token not in logged(caplog)  # the link never reaches the logs

    refusing.EMAIL_BACKEND = LOCMEM
    run_worker()
    assert not mail.outbox  # not due yet: nothing is sent early
    make_due()
    run_worker()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["me@civicbridge.example"]
    assert f"/claims/verify/{claim.token}/" in mail.outbox[0].body
    done = QueuedMail.objects.get()
    assert done.status == Status.SUCCESSFUL and done.return_value["sent"]
    assert claim.token not in str(done.args_kwargs)  # once sent, its link is not kept
    assert claim.token not in logged(caplog)


def test_sign_up_and_password_reset_mails_wait_and_are_never_shown(client, refusing, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.post(
        "/accounts/signup/",
        {"email": "later@example.org", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert "could not send the e-mail" in response.content.decode()
    assert get_user_model().objects.filter(email="later@example.org").exists()
    make_user("forgetful@example.org")
    client.post("/accounts/password/reset/", {"email": "forgetful@example.org"})

    confirmation, reset = QueuedMail.objects.order_by("enqueued_at")
    assert confirmation.mail["to"] == ["later@example.org"] and confirmation.mail["sensitive"]
    assert reset.mail["template"] == "account/email/password_reset_key"
    assert reset.mail["sensitive"]
    body = reset.mail["body"]
    reset_link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", body)
    assert reset_link, body
    assert reset_link.group(1) not in logged(caplog)
    assert body not in logged(caplog)

    # Curators see what waits, but not the link that would let them reset someone's password.
    curator = curator_client()
    listing = curator.get("/admin/directory/queuedmail/")
    assert listing.status_code == 200
    assert "password_reset_key" in listing.content.decode()
    page = curator.get(f"/admin/directory/queuedmail/{reset.pk}/change/").content.decode()
    assert "holds a personal link" in page and "Not shown" in page
    assert reset_link.group(1) not in page
    # Not even the task queue's own page shows it, to anyone.
    admin = Client()
    admin.force_login(
        get_user_model().objects.create_superuser("root@example.org", "root@example.org", "x")
    )
    assert admin.get("/admin/django_tasks_database/dbtaskresult/").status_code == 200
    tasks_page = admin.get(f"/admin/django_tasks_database/dbtaskresult/{reset.pk}/change/")
    assert tasks_page.status_code == 302  # not among the queue's tasks: see "refused e-mails"

    # The mail server is back: both arrive, as they were written.
    refusing.EMAIL_BACKEND = LOCMEM
    make_due()
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["forgetful@example.org", "later@example.org"]
    (sent_reset,) = [m for m in mail.outbox if m.to == ["forgetful@example.org"]]
    assert reset_link.group(1) in sent_reset.body
    assert not QueuedMail.objects.filter(status=Status.READY).exists()
    assert reset_link.group(1) not in logged(caplog)


def test_a_decision_is_kept_and_notified_only_once_its_e_mail_is_delivered(refusing):
    submitter = make_user("submitter@example.org")
    initiative = InitiativeFactory(status="pending", published_at=None, submitted_by=submitter)
    UserLanguage.objects.create(user=submitter, language="es")
    decision = decide(
        by=make_user("curator@example.org", curator=True), target=initiative, action="approve"
    )
    assert Initiative.objects.get(pk=initiative.pk).status == "published"
    decision.refresh_from_db()
    assert not decision.notified  # refused: not told yet
    queued = waiting()
    assert queued.mail["to"] == ["submitter@example.org"]
    assert queued.mail["language"] == "es" and not queued.mail["sensitive"]
    assert queued.mail["subject"].startswith("[Directorio MPDB]")

    make_due()
    run_worker()  # refused again
    decision.refresh_from_db()
    assert not decision.notified

    refusing.EMAIL_BACKEND = LOCMEM
    make_due()
    run_worker()
    assert [m.to for m in mail.outbox] == [["submitter@example.org"]]
    decision.refresh_from_db()
    assert decision.notified  # delivered by the third attempt


def test_retries_back_off_give_up_and_a_curator_sends_the_message_again(refusing):
    refusing.MAIL_MAX_ATTEMPTS = 3
    base = timedelta(seconds=refusing.MAIL_RETRY_BASE)
    assert [mail_queue.backoff(n) for n in (1, 2, 3)] == [base, 2 * base, 4 * base]
    assert mail_queue.backoff(30) == timedelta(days=1)  # never longer than a day

    assert not send_stale_notice()
    second = waiting()
    assert (second.attempt, wait_of(second)) == (2, base)
    make_due()
    run_worker()
    second.refresh_from_db()
    assert second.status == Status.SUCCESSFUL  # this attempt is over: refused, passed on
    assert not second.return_value["sent"]
    assert second.return_value["error"].startswith("SMTPServerDisconnected")
    third = waiting()
    assert (third.attempt, wait_of(third)) == (3, 2 * base)
    run_worker()  # not due: nothing happens
    assert waiting().pk == third.pk

    make_due()
    run_worker()
    third.refresh_from_db()
    assert third.status == Status.FAILED  # the last attempt: given up, kept
    assert "MailNotSent: Not sent after 3 attempts: SMTPServerDisconnected" in third.traceback
    assert not QueuedMail.objects.filter(status=Status.READY).exists()  # no longer tried

    # A curator sees it given up, with its text (it holds no personal link) and the error.
    curator = curator_client()
    given_up = curator.get("/admin/directory/queuedmail/?state=failed").content.decode()
    assert "Given up" in given_up and "directory/email/stale.txt" in given_up
    assert "Refused; tried again later" not in given_up  # only the given-up one is listed
    page = curator.get(f"/admin/directory/queuedmail/{third.pk}/change/").content.decode()
    assert "Nobody has confirmed the listing" in page
    assert "SMTPServerDisconnected" in page

    refusing.EMAIL_BACKEND = LOCMEM
    response = curator.post(
        "/admin/directory/queuedmail/",
        {"action": "send_again", "_selected_action": [third.pk]},
        follow=True,
    )
    assert "1 e-mail queued to be sent again." in response.content.decode()
    assert not QueuedMail.objects.filter(status=Status.FAILED).exists()
    assert waiting().attempt == 1  # a new round of attempts, starting now
    run_worker()
    assert [m.to for m in mail.outbox] == [["someone@example.org"]]
    assert "Nobody has confirmed the listing" in mail.outbox[0].body


def test_a_given_up_decision_e_mail_sent_again_marks_the_decision_notified(refusing):
    refusing.MAIL_MAX_ATTEMPTS = 2
    submitter = make_user("submitter@example.org")
    initiative = InitiativeFactory(status="pending", published_at=None, submitted_by=submitter)
    decision = decide(
        by=make_user("other@example.org", curator=True),
        target=initiative,
        action="reject",
        reason_code="spam",
    )
    make_due()
    run_worker()
    given_up = QueuedMail.objects.get(status=Status.FAILED)
    decision.refresh_from_db()
    assert not decision.notified

    refusing.EMAIL_BACKEND = LOCMEM
    assert mail_queue.send_again(QueuedMail.objects.filter(pk=given_up.pk)) == 1
    assert mail_queue.send_again([given_up]) == 0  # a second click queues nothing more
    run_worker()
    assert [m.to for m in mail.outbox] == [["submitter@example.org"]]
    decision.refresh_from_db()
    assert decision.notified


def test_only_curators_see_refused_mail_and_only_they_send_it_again(client, refusing):
    send_stale_notice()
    client.force_login(make_user("member@example.org"))
    assert client.get("/admin/directory/queuedmail/").status_code == 302  # not staff
    staff = Client()
    staff.force_login(get_user_model().objects.create_user("staff", "s@example.org", is_staff=True))
    assert staff.get("/admin/directory/queuedmail/").status_code == 403  # staff, not a curator


def test_alert_e_mails_are_not_queued_because_their_task_is_retried_whole(refusing):
    assert not send(
        to="reader@example.org",
        subject=gettext_lazy("Approved"),
        queue=False,
        template="directory/email/stale.txt",
        context={"listing": "X", "link": "/"},
    )
    assert not QueuedMail.objects.exists()


def test_the_upgrade_moves_what_waits_in_the_old_outbox_to_the_task_queue(settings):
    """Migration 0018: a message waiting in the outbox is tried at its time; a given-up one stays
    given up, for a curator to send again."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("directory", "0017_webhooks")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("directory", "OutgoingMail")
        due = timezone.now() + timedelta(minutes=20)
        common = {
            "from_email": "noreply@example.org",
            "subject": "[MPDB Directory] Approved",
            "template": "directory/email/decision.txt",
            "language": "en",
        }
        old.objects.create(
            to=["waits@example.org"], body="Waiting.", attempts=2, next_attempt_at=due, **common
        )
        old.objects.create(
            to=["gave.up@example.org"],
            body="Given up.",
            attempts=10,
            state="failed",
            last_error="SMTPServerDisconnected: gone",
            **common,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)

    waits = waiting()
    assert (waits.mail["to"], waits.mail["body"], waits.attempt) == (
        ["waits@example.org"],
        "Waiting.",
        3,
    )
    assert waits.run_after == due
    gave_up = QueuedMail.objects.get(status=Status.FAILED)
    assert gave_up.mail["to"] == ["gave.up@example.org"]
    settings.EMAIL_BACKEND = LOCMEM
    assert mail_queue.send_again([gave_up]) == 1
    make_due()
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["gave.up@example.org", "waits@example.org"]
