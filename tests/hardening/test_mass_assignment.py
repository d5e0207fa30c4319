"""Mass assignment: what a form does not show, a submitter cannot set by adding it to the post
(status, source, dates, ids, slugs, owners). The API's side is in test_api_bodies.py."""

import pytest

from directory.models import ChangeRequest, ClaimRequest, Event, Initiative, Organization, Report

from .conftest import logged_in
from .test_form_input import instantiate, project_forms

pytestmark = pytest.mark.django_db

FORGED = {
    "status": "published",
    "source": "paper",
    "published_at": "2020-01-01 00:00",
    "last_verified_at": "2020-01-01 00:00",
    "created_at": "2000-01-01 00:00",
    "id": "1",
    "pk": "1",
    "uuid": "11111111-2222-3333-4444-555555555555",
    "slug": "forged",
    "is_demo": "on",
    "is_network": "on",
    "submitted_by": "1",
    "token": "forged",
    "state": "resolved",
    "decided_by": "1",
    "user": "1",
    "email_verified_at": "2020-01-01",
    "resolution": "forged",
    "stale_notice_sent_at": "2020-01-01 00:00",
}
#: Forms only curators use (the CSV import may mark networks): not a submitter's way in.
CURATOR_FORMS = {"ImportOrganizationForm", "DecisionForm", "ListingAdminForm"}


def test_no_members_form_has_a_lifecycle_or_identity_field(two_orgs):
    checked = 0
    for form_class in project_forms():
        meta = getattr(form_class, "_meta", None)
        if form_class.__name__ in CURATOR_FORMS or meta is None or meta.model is None:
            continue
        fields = set(instantiate(form_class, two_orgs).fields)
        assert not fields & set(FORGED), (form_class, fields & set(FORGED))
        checked += 1
    assert checked >= 5


def test_registering_an_organization_cannot_publish_or_name_it(two_orgs):
    client = logged_in(two_orgs["attacker"])
    data = {"name": "Forged Org", "summary": "x", "scope": "national", **FORGED}
    assert client.post("/submit/organization/", data).status_code == 302
    org = Organization.objects.get(name="Forged Org")
    assert (org.status, org.source, org.published_at) == ("pending", "self", None)
    assert org.slug == "forged-org" and str(org.uuid) != FORGED["uuid"]
    assert not org.is_demo and not org.is_network and org.last_verified_at is None
    assert org.submitted_by == two_orgs["attacker"] and org.created_at.year > 2000


def test_submitting_an_initiative_or_event_cannot_publish_it_or_borrow_an_organization(two_orgs):
    client = logged_in(two_orgs["attacker"])
    base = {"title": "Forged work", "summary": "x", "scope": "national", "send": "1"}
    response = client.post("/submit/initiative/", {**base, "organization": "theirs"})
    assert response.status_code == 400 and not Initiative.objects.filter(title="Forged work")
    assert (
        client.post("/submit/initiative/", {**FORGED, **base, "organization": "mine"}).status_code
        == 302
    )
    initiative = Initiative.objects.get(title="Forged work")
    assert (initiative.status, initiative.source, initiative.published_at) == (
        "pending",
        "self",
        None,
    )
    assert initiative.organization == two_orgs["mine"] and initiative.slug == "forged-work"

    event = {
        "title": "Forged event",
        "summary": "x",
        "mode": "online",
        "timezone": "America/Denver",
        "starts_at": "2031-05-01T18:00",
        "join_url": "https://meet.example/x",
    }
    response = client.post(
        "/submit/event/", {**event, "organization": "mine", "initiative": "their-work"}
    )
    assert response.status_code == 400 and not Event.objects.filter(title="Forged event")
    assert (
        client.post("/submit/event/", {**FORGED, **event, "organization": "mine"}).status_code
        == 302
    )
    created = Event.objects.get(title="Forged event")
    assert (created.status, created.source, created.published_at) == ("pending", "self", None)


def test_editing_cannot_publish_a_pending_listing_or_smuggle_fields_into_a_change(two_orgs):
    from tests.factories import InitiativeFactory

    o = two_orgs
    client = logged_in(o["attacker"])
    pending = InitiativeFactory(
        organization=o["mine"], slug="mine-pending", status="pending", published_at=None
    )
    data = {
        "title": "Edited",
        "summary": "x",
        "scope": "national",
        "organization": "theirs",
        **FORGED,
    }
    response = client.post("/dashboard/initiatives/mine-pending/edit/", data)
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.title, pending.status, pending.published_at) == ("Edited", "pending", None)
    assert pending.organization == o["mine"] and pending.slug == "mine-pending"

    data = {"name": "Mine renamed", "summary": "x", "scope": "national", **FORGED}
    assert client.post("/dashboard/organizations/mine/edit/", data).status_code == 302
    change = ChangeRequest.objects.get(organization=o["mine"])
    assert not set(change.proposed) & set(FORGED)
    o["mine"].refresh_from_db()
    assert o["mine"].name == "Mine"  # waits for a curator


def test_reports_and_claims_start_open_whatever_the_post_says(two_orgs):
    client = logged_in(two_orgs["attacker"])
    client.post("/report/organizations/theirs/", {"kind": "spam", "message": "Spam.", **FORGED})
    report = Report.objects.get(message="Spam.")
    assert report.state == "open" and report.resolution == "" and report.resolved_by is None
    client.post(
        "/organizations/unmanaged/claim/", {"evidence": "message", "message": "Mine.", **FORGED}
    )
    claim = ClaimRequest.objects.get(message="Mine.")
    assert claim.status == "pending" and claim.user == two_orgs["attacker"]
    assert claim.email_verified_at is None and claim.token != "forged"
