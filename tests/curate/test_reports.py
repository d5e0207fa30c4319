"""Problem reports are resolved or dismissed, one by one or in bulk, and whoever reported one
and left an address hears what became of it."""

import pytest
from django.core import mail

from directory.models import ModerationDecision, Report
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def open_reports(count: int, email: str = "") -> list[Report]:
    initiative = InitiativeFactory(title="Reported work")
    return [
        Report.objects.create(
            initiative=initiative, kind="outdated", message=f"Old {n}", email=email
        )
        for n in range(count)
    ]


def test_reports_are_resolved_and_dismissed_in_bulk(curator_client):
    reports = open_reports(4)
    pending = OrganizationFactory(status="pending", published_at=None)
    response = curator_client.post(
        "/curate/bulk/",
        {
            "action": "resolve",
            "reason": "Updated the dates.",
            "item": [f"report:{r.pk}" for r in reports[:2]] + [f"organization:{pending.pk}"],
        },
        follow=True,
    )
    html = response.content.decode()
    assert "2 decided." in html
    assert html.count("does not take this action") == 1  # the organization, said once
    curator_client.post(
        "/curate/bulk/", {"action": "dismiss", "item": [f"report:{r.pk}" for r in reports[2:]]}
    )
    states = [Report.objects.get(pk=r.pk).state for r in reports]
    assert states == ["resolved", "resolved", "dismissed", "dismissed"]
    assert ModerationDecision.objects.filter(action="resolve").count() == 2
    assert ModerationDecision.objects.filter(action="dismiss").count() == 2
    assert Report.objects.get(pk=reports[0].pk).resolution == "Updated the dates."
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_approving_reports_in_bulk_leaves_them_with_one_message(curator_client):
    reports = open_reports(29)
    response = curator_client.post(
        "/curate/bulk/",
        {
            "action": "approve",
            "reason_code": "out_of_scope",
            "item": [f"report:{r.pk}" for r in reports],
        },
        follow=True,
    )
    html = response.content.decode()
    assert "is not a decision for this kind of item" not in html
    assert "29 selected items do not take this action" in html
    assert Report.objects.filter(state="open").count() == 29


def test_the_queue_offers_dismiss_for_one_report_and_both_actions_in_bulk(curator_client):
    report = open_reports(1)[0]
    html = curator_client.get("/curate/queue/").content.decode()
    assert 'value="dismiss"' in html and 'value="resolve"' in html
    curator_client.post(f"/curate/decide/report/{report.pk}/", {"action": "dismiss"})
    report.refresh_from_db()
    assert report.state == "dismissed"
    assert curator_client.get("/curate/").context["counts"]["reports"] == 0


def test_a_reporter_who_left_an_address_hears_the_outcome(curator_client):
    resolved, dismissed = open_reports(2, email="reader@example.org")
    (silent,) = open_reports(1)
    curator_client.post(
        f"/curate/decide/report/{resolved.pk}/", {"action": "resolve", "reason": "Fixed the ZIP."}
    )
    curator_client.post(f"/curate/decide/report/{dismissed.pk}/", {"action": "dismiss"})
    curator_client.post(f"/curate/decide/report/{silent.pk}/", {"action": "resolve"})
    assert [m.to for m in mail.outbox] == [["reader@example.org"], ["reader@example.org"]]
    first, second = mail.outbox
    assert "Your report on Reported work" in first.subject
    assert "the listing was dealt with" in first.body and "Fixed the ZIP." in first.body
    assert "left the listing as it is" in second.body
    decisions = ModerationDecision.objects.order_by("decided_at")
    assert [d.notified for d in decisions] == [True, True, False]
