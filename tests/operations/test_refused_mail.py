"""A mail server that refuses mail loses nothing: the record is saved, the e-mail waits in the
outbox, ``send_queued_mail`` sends it later (backing off, giving up after N attempts), and curators
see and resend it in the admin. Password-reset and confirmation texts are never logged or shown."""

import logging
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django.utils.translation import gettext_lazy

from directory import outbox
from directory.models import ClaimRequest, Initiative, OutgoingMail
from directory.moderation import decide
from directory.notify import send
from tests.browser.helpers import PASSWORD, make_user
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

FAILING = "tests.accounts.failing_mail.FailingBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def refusing(settings):
    settings.EMAIL_BACKEND = FAILING
    return settings


def logged(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def send_queued_mail() -> str:
    out = StringIO()
    call_command("send_queued_mail", stdout=out)
    return out.getvalue()


def test_a_claim_is_saved_and_its_refused_mail_is_sent_by_the_next_run(client, refusing, caplog):
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

    queued = OutgoingMail.objects.get()
    assert queued.to == ["me@civicbridge.example"]
    assert queued.template == "directory/email/claim_verify.txt"
    assert queued.sensitive  # the link proves control of the address
    assert (queued.state, queued.attempts) == ("queued", 1)
    assert queued.last_error.startswith("SMTPServerDisconnected")
    wait = queued.next_attempt_at - queued.last_attempt_at
    assert wait == timedelta(seconds=refusing.OUTBOX_RETRY_BASE)
    assert claim.token in queued.body
    assert claim.token not in logged(caplog)  # the link never reaches the logs

    refusing.EMAIL_BACKEND = LOCMEM
    assert send_queued_mail().startswith("0 sent")  # not due yet: nothing is sent early
    assert not mail.outbox
    OutgoingMail.objects.update(next_attempt_at=timezone.now())
    assert send_queued_mail().startswith("1 sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["me@civicbridge.example"]
    assert f"/claims/verify/{claim.token}/" in mail.outbox[0].body
    assert not OutgoingMail.objects.exists()  # the queue is empty once sent


def test_sign_up_and_password_reset_mails_wait_in_the_outbox_and_are_never_shown(
    client, refusing, caplog
):
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

    confirmation, reset = OutgoingMail.objects.order_by("pk")
    assert confirmation.to == ["later@example.org"] and confirmation.sensitive
    assert reset.template == "account/email/password_reset_key" and reset.sensitive
    reset_link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", reset.body)
    assert reset_link, reset.body
    assert reset_link.group(1) not in logged(caplog)
    assert reset.body not in logged(caplog)

    # Curators see the queue, but not the link that would let them reset someone's password.
    client.force_login(make_user("curator@example.org", curator=True))
    listing = client.get("/admin/directory/outgoingmail/")
    assert listing.status_code == 200
    assert "password_reset_key" in listing.content.decode()
    page = client.get(f"/admin/directory/outgoingmail/{reset.pk}/change/").content.decode()
    assert "holds a personal link" in page
    assert reset_link.group(1) not in page

    # The mail server is back: both arrive, as they were written.
    refusing.EMAIL_BACKEND = LOCMEM
    counts = outbox.send_due(now=timezone.now() + timedelta(hours=1))
    assert counts == {"sent": 2, "retry": 0, "failed": 0}
    assert [m.to for m in mail.outbox] == [["later@example.org"], ["forgetful@example.org"]]
    assert reset_link.group(1) in mail.outbox[1].body
    assert not OutgoingMail.objects.exists()


def test_a_curator_decision_is_kept_and_its_e_mail_queued_in_the_recipients_language(refusing):
    submitter = make_user("submitter@example.org")
    initiative = InitiativeFactory(status="pending", published_at=None, submitted_by=submitter)
    from directory.models import UserLanguage

    UserLanguage.objects.create(user=submitter, language="es")
    decide(by=make_user("curator@example.org", curator=True), target=initiative, action="approve")
    assert Initiative.objects.get(pk=initiative.pk).status == "published"
    queued = OutgoingMail.objects.get()
    assert queued.to == ["submitter@example.org"]
    assert queued.language == "es" and not queued.sensitive
    assert queued.subject.startswith("[Directorio MPDB]")


def test_retries_back_off_and_give_up_after_the_last_attempt(refusing):
    refusing.OUTBOX_MAX_ATTEMPTS = 3
    base = timedelta(seconds=refusing.OUTBOX_RETRY_BASE)
    assert [outbox.backoff(n) for n in (1, 2, 3)] == [base, 2 * base, 4 * base]
    assert outbox.backoff(30) == timedelta(days=1)  # never longer than a day

    assert not send(to="someone@example.org", subject=gettext_lazy("Approved"),
                    template="directory/email/stale.txt", context={"listing": "X", "link": "/"})  # fmt: skip
    queued = OutgoingMail.objects.get()
    first = queued.last_attempt_at

    assert outbox.send_due(now=first + base - timedelta(seconds=1)) == {
        "sent": 0, "retry": 0, "failed": 0,
    }  # fmt: skip
    second = first + base
    assert outbox.send_due(now=second) == {"sent": 0, "retry": 1, "failed": 0}
    queued.refresh_from_db()
    assert queued.attempts == 2 and queued.next_attempt_at == second + 2 * base
    assert outbox.send_due(now=second + 2 * base) == {"sent": 0, "retry": 0, "failed": 1}
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == ("failed", 3)
    # Given up: kept, and no longer tried.
    assert outbox.send_due(now=second + timedelta(days=30)) == {
        "sent": 0, "retry": 0, "failed": 0,
    }  # fmt: skip

    # A curator sees it given up, and sends it once the mail server works again.
    client_user = make_user("curator@example.org", curator=True)
    from django.test import Client

    curator = Client()
    curator.force_login(client_user)
    assert "Given up" in curator.get("/admin/directory/outgoingmail/").content.decode()
    page = curator.get(f"/admin/directory/outgoingmail/{queued.pk}/change/").content.decode()
    assert "Nobody has confirmed the listing" in page  # not sensitive: its text is shown
    assert "SMTPServerDisconnected" in page
    refusing.EMAIL_BACKEND = LOCMEM
    response = curator.post(
        "/admin/directory/outgoingmail/",
        {"action": "send_now", "_selected_action": [queued.pk]},
        follow=True,
    )
    assert "1 e-mail sent." in response.content.decode()
    assert len(mail.outbox) == 1 and not OutgoingMail.objects.exists()


def test_only_curators_see_the_outbox_and_two_runs_never_send_one_message_twice(client, refusing):
    send(to="someone@example.org", subject=gettext_lazy("Approved"),
         template="directory/email/stale.txt", context={"listing": "X", "link": "/"})  # fmt: skip
    queued = OutgoingMail.objects.get()
    client.force_login(make_user("member@example.org"))
    assert client.get("/admin/directory/outgoingmail/").status_code == 302  # not staff

    refusing.EMAIL_BACKEND = LOCMEM
    later = timezone.now() + timedelta(hours=1)
    assert outbox._claim(queued, later)  # another run took it …
    assert outbox.send_due(now=later)["sent"] == 0  # … so this one leaves it alone
    assert not mail.outbox


def test_alert_e_mails_are_not_queued_because_their_task_is_retried_whole(refusing):
    assert not send(to="reader@example.org", subject=gettext_lazy("Approved"), queue=False,
                    template="directory/email/stale.txt", context={"listing": "X", "link": "/"})  # fmt: skip
    assert not OutgoingMail.objects.exists()
