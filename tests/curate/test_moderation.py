"""Nothing reaches the public without a curator; every decision is recorded, explained and sent."""

import pytest
from django.core import mail

from directory.models import (
    ChangeRequest,
    Initiative,
    Membership,
    ModerationDecision,
    Organization,
    Report,
)
from directory.services.duplicates import possible_duplicates
from directory.services.moderation import AlreadyDecided, decide
from roles.models import Role
from tests.factories import (
    ClaimRequestFactory,
    InitiativeFactory,
    MembershipFactory,
    OrganizationFactory,
    ReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def pending_initiative(submitter, **kwargs):
    return InitiativeFactory(status="pending", published_at=None, submitted_by=submitter, **kwargs)


def test_approving_publishes_records_and_tells_the_submitter(curator_client, curator, submitter):
    initiative = pending_initiative(submitter, title="Town talks")
    response = curator_client.post(
        f"/curate/decide/initiative/{initiative.pk}/", {"action": "approve"}
    )
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.status == "published" and initiative.published_at is not None
    decision = ModerationDecision.objects.get()
    assert (decision.curator, decision.action, decision.target) == (curator, "approve", initiative)
    assert decision.notified
    assert mail.outbox[-1].to == ["submitter@example.org"]
    assert "Approved" in mail.outbox[-1].subject
    assert curator_client.get(initiative.get_absolute_url()).status_code == 200
    assert "approve" in initiative.history.first().history_change_reason.lower()


def test_rejecting_needs_a_reason_which_the_submitter_receives(curator_client, submitter):
    initiative = pending_initiative(submitter)
    curator_client.post(f"/curate/decide/initiative/{initiative.pk}/", {"action": "reject"})
    initiative.refresh_from_db()
    assert initiative.status == "pending"  # no reason, no decision
    assert not ModerationDecision.objects.exists()
    curator_client.post(
        f"/curate/decide/initiative/{initiative.pk}/",
        {"action": "reject", "reason_code": "out_of_scope", "reason": "This is a sports league."},
    )
    initiative.refresh_from_db()
    assert initiative.status == "rejected"
    body = mail.outbox[-1].body
    assert "Not civic or democracy-building work" in body and "sports league" in body
    assert curator_client.get(initiative.get_absolute_url()).status_code == 404


def test_a_rejected_submitter_revises_and_it_returns_to_the_queue(client, curator, submitter):
    org = OrganizationFactory(
        status="pending", published_at=None, submitted_by=submitter, owner=submitter
    )
    decide(by=curator, target=org, action="request_changes", reason="Add your ZIP code.")
    client.force_login(submitter)
    assert "Add your ZIP code." in mail.outbox[-1].body
    client.post(
        f"/dashboard/organizations/{org.slug}/edit/",
        {"name": org.name, "summary": org.summary, "postal_code": "80302", "scope": "local"},
    )
    org.refresh_from_db()
    assert org.status == "pending"


def test_two_decisions_on_one_item_give_one_record(curator, submitter):
    initiative = pending_initiative(submitter)
    other = UserFactory(username="c2")
    decide(by=curator, target=initiative, action="approve")
    with pytest.raises(AlreadyDecided):
        decide(by=other, target=initiative, action="reject", reason="late")
    assert ModerationDecision.objects.count() == 1
    initiative.refresh_from_db()
    assert initiative.status == "published"


def test_change_requests_are_approved_or_rejected_with_a_diff(curator_client, curator, submitter):
    org = OrganizationFactory(name="Before", postal_code="80302")
    change = ChangeRequest.objects.create(
        organization=org,
        submitted_by=submitter,
        proposed={
            "name": ["After"],
            "summary": [org.summary],
            "postal_code": ["80302"],
            "scope": ["local"],
            "roles": ["mediators"],
            "goals": [],
            "networks": [],
        },
    )
    queue = curator_client.get("/curate/queue/").content.decode()
    assert "<del>Before</del>" in queue and "<ins>After</ins>" in queue
    curator_client.post(f"/curate/decide/change/{change.pk}/", {"action": "approve"})
    org.refresh_from_db()
    assert org.name == "After"
    assert list(org.roles.values_list("slug", flat=True)) == ["mediators"]
    change.refresh_from_db()
    assert change.status == "approved"
    assert mail.outbox[-1].to == ["submitter@example.org"]


def test_claims_are_granted_or_refused(curator_client, submitter):
    org = OrganizationFactory()
    claim = ClaimRequestFactory(user=submitter, organization=org, message="I run it.")
    other = OrganizationFactory()
    refused = ClaimRequestFactory(user=submitter, organization=other, message="Me too.")
    curator_client.post(f"/curate/decide/claim/{claim.pk}/", {"action": "approve"})
    curator_client.post(
        f"/curate/decide/claim/{refused.pk}/",
        {"action": "reject", "reason_code": "unverifiable", "reason": ""},
    )
    assert Membership.objects.get(organization=org).role == "owner"
    assert not Membership.objects.filter(organization=other).exists()
    refused.refresh_from_db()
    assert refused.status == "rejected"


def test_the_queue_shows_everything_waiting_oldest_first(curator_client, submitter):
    from datetime import timedelta

    from django.utils import timezone

    old = pending_initiative(submitter, title="Oldest item")
    Initiative.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=9))
    OrganizationFactory(status="pending", published_at=None, name="Newer org")
    published = OrganizationFactory()
    ReportFactory(listing=published, kind="outdated", message="Moved away.")
    html = curator_client.get("/curate/queue/").content.decode()
    assert html.index("Oldest item") < html.index("Newer org")
    assert "Moved away." in html
    dashboard = curator_client.get("/curate/").context["counts"]
    assert (dashboard["initiatives"], dashboard["organizations"], dashboard["reports"]) == (1, 1, 1)


def test_possible_duplicates_are_flagged(curator_client):
    OrganizationFactory(name="Braver Angels", website="https://braverangels.org/")
    copy = OrganizationFactory(
        name="Braver Angels Colorado",
        website="https://www.braverangels.org/co",
        status="pending",
        published_at=None,
    )
    unrelated = OrganizationFactory(
        name="Riverside Library Talks", status="pending", published_at=None
    )
    assert [o.name for o in possible_duplicates(copy)] == ["Braver Angels"]
    assert possible_duplicates(unrelated) == []
    assert "Possible duplicate of" in curator_client.get("/curate/queue/").content.decode()


def test_bulk_approval_is_in_every_listings_history(curator_client, submitter):
    items = [pending_initiative(submitter, title=f"Bulk {i}") for i in range(3)]
    response = curator_client.post(
        "/curate/bulk/",
        {"action": "approve", "item": [f"initiative:{i.pk}" for i in items]},
    )
    assert response.status_code == 302
    for initiative in items:
        initiative.refresh_from_db()
        assert initiative.status == "published"
        latest = initiative.history.first()
        assert (
            latest.status == "published" and "Approved by curator" in latest.history_change_reason
        )
    assert ModerationDecision.objects.filter(action="approve").count() == 3


def test_reports_go_to_the_queue_and_are_resolved_with_a_record(client, curator_client):
    initiative = InitiativeFactory(title="Reported work")
    form = client.get(f"/report/initiatives/{initiative.slug}/")
    assert form.status_code == 200
    response = client.post(
        f"/report/initiatives/{initiative.slug}/",
        {"kind": "outdated", "message": "This ended in 2023.", "email": "reader@example.org"},
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.initiative == initiative and report.state == "open"
    assert "reader@example.org" not in client.get(initiative.get_absolute_url()).content.decode()
    curator_client.post(
        f"/curate/decide/report/{report.pk}/", {"action": "resolve", "reason": "Archived it."}
    )
    report.refresh_from_db()
    assert (report.state, report.resolution) == ("resolved", "Archived it.")
    assert ModerationDecision.objects.get(action="resolve").reason == "Archived it."


def test_reports_have_a_honeypot_and_need_a_message(client):
    initiative = InitiativeFactory()
    url = f"/report/initiatives/{initiative.slug}/"
    assert client.post(url, {"kind": "spam", "message": "x", "homepage": "bot"}).status_code == 400
    assert client.post(url, {"kind": "spam", "message": ""}).status_code == 400
    assert not Report.objects.exists()
    pending = InitiativeFactory(status="pending")
    assert client.get(f"/report/initiatives/{pending.slug}/").status_code == 404


def test_history_compares_versions_and_reverts_fields_and_roles(curator_client):
    initiative = InitiativeFactory(title="Good title", roles=[Role.objects.get(slug="mediators")])
    good = initiative.history.first()
    initiative.title = "Vandalised"
    initiative.save()
    initiative.roles.set([Role.objects.get(slug="defenders")])
    latest = initiative.history.first()
    page = curator_client.get(
        f"/curate/history/initiatives/{initiative.slug}/?a={good.history_id}&b={latest.history_id}"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "<del>Good title</del>" in html and "<ins>Vandalised</ins>" in html
    assert "<del>mediators</del>" in html and "<ins>defenders</ins>" in html
    response = curator_client.post(
        f"/curate/history/initiatives/{initiative.slug}/revert/{good.history_id}/"
    )
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.title == "Good title"
    assert list(initiative.roles.values_list("slug", flat=True)) == ["mediators"]
    assert ModerationDecision.objects.get(action="revert").target == initiative


def test_archive_then_restore_brings_everything_back(curator, client):
    network = OrganizationFactory(is_network=True)
    org = OrganizationFactory(roles=list(Role.objects.all()[:2]))
    org.networks.add(network)
    MembershipFactory(user=UserFactory(username="m"), organization=org, role="owner")
    before = (set(org.roles.all()), set(org.networks.all()), set(org.memberships.all()))
    decide(by=curator, target=org, action="archive")
    assert client.get(org.get_absolute_url()).status_code == 404
    assert org.name not in client.get("/api/v1/organizations/").content.decode()
    assert org not in client.get(f"/organizations/?q={org.name}").context["object_list"]
    decide(by=curator, target=org, action="restore")
    org.refresh_from_db()
    assert org.status == "published"
    assert (set(org.roles.all()), set(org.networks.all()), set(org.memberships.all())) == before
    assert client.get(org.get_absolute_url()).status_code == 200


def test_restore_needs_a_listing_that_was_once_published(curator):
    never = InitiativeFactory(status="archived", published_at=None)
    with pytest.raises(AlreadyDecided):
        decide(by=curator, target=never, action="restore")


def test_revert_restores_content_not_publication(curator_client, curator):
    initiative = InitiativeFactory(title="Old content")
    first = initiative.history.first()
    initiative.title = "New content"
    initiative.save()
    decide(by=curator, target=initiative, action="archive")
    curator_client.post(f"/curate/history/initiatives/{initiative.slug}/revert/{first.history_id}/")
    initiative.refresh_from_db()
    assert (initiative.title, initiative.status) == ("Old content", "archived")


def test_a_decision_that_does_not_fit_the_item_is_refused_not_a_500(curator_client):
    initiative = InitiativeFactory(status="pending", published_at=None)
    response = curator_client.post(
        f"/curate/decide/initiative/{initiative.pk}/",
        {"action": "resolve", "next": "https://evil.example/x"},
    )
    assert response.status_code == 302 and "evil.example" not in response["Location"]
    assert not ModerationDecision.objects.exists()


def test_listings_are_never_hard_deleted_by_curators(curator_client):
    org = OrganizationFactory()
    response = curator_client.post(
        f"/admin/directory/organization/{org.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Organization.objects.filter(pk=org.pk).exists()


@pytest.mark.parametrize(
    "url",
    ["/curate/", "/curate/queue/", "/curate/stale/", "/curate/history/initiatives/x/"],
)
def test_non_curators_are_refused_with_a_page_not_sent_to_sign_in_again(client, submitter, url):
    client.force_login(submitter)
    response = client.get(url, follow=True)
    assert response.status_code == 403 and response.redirect_chain == []  # no sign-in loop
    assert "This page is not open to your account" in response.content.decode()


@pytest.mark.parametrize("url", ["/curate/", "/curate/queue/"])
def test_people_signed_out_are_sent_to_sign_in_for_the_curator_area(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_non_curators_cannot_decide(client, submitter):
    initiative = pending_initiative(submitter)
    client.force_login(submitter)
    client.post(f"/curate/decide/initiative/{initiative.pk}/", {"action": "approve"})
    initiative.refresh_from_db()
    assert initiative.status == "pending"


def test_a_curator_cannot_make_anyone_a_superuser(curator_client, curator):
    assert curator_client.get("/admin/auth/user/").status_code == 403
    assert curator_client.get(f"/admin/auth/user/{curator.pk}/change/").status_code == 403
    assert not curator.has_perm("auth.change_user")
    assert not curator.has_perm("auth.change_group")
    assert curator.has_perm("directory.moderate")


def test_the_member_dashboard_shows_the_curators_reason(client, curator, submitter):
    org = OrganizationFactory(
        status="pending", published_at=None, submitted_by=submitter, owner=submitter
    )
    initiative = InitiativeFactory(organization=org, status="pending", published_at=None)
    decide(by=curator, target=org, action="request_changes", reason="Please add your website.")
    decide(by=curator, target=initiative, action="reject", reason_code="duplicate", reason="")
    client.force_login(submitter)
    html = client.get("/dashboard/").content.decode()
    assert "Curator’s note: Please add your website." in html
    assert "Curator’s note: Already listed" in html


def test_an_initiative_approved_before_its_organization_says_when_it_goes_public(
    curator_client, submitter
):
    org = OrganizationFactory(
        name="New Org", status="pending", published_at=None, submitted_by=submitter
    )
    initiative = pending_initiative(submitter, organization=org, title="Early work")
    queue = curator_client.get("/curate/queue/").content.decode()
    assert "organization: Pending" in queue
    assert f'<a href="#q-organization-{org.pk}">review it</a>' in queue
    assert f'id="q-organization-{org.pk}"' in queue
    response = curator_client.post(
        f"/curate/decide/initiative/{initiative.pk}/", {"action": "approve"}, follow=True
    )
    html = response.content.decode()
    assert "“Early work” will be public as soon as “New Org” is published too." in html
    body = mail.outbox[-1].body
    assert "It is now public" not in body
    assert "It will be public as soon as “New Org” is published too." in body
    assert curator_client.get(initiative.get_absolute_url()).status_code == 404
    decide_org = curator_client.post(
        f"/curate/decide/organization/{org.pk}/", {"action": "approve"}
    )
    assert decide_org.status_code == 302
    assert curator_client.get(initiative.get_absolute_url()).status_code == 200
    assert "It is now public" in mail.outbox[-1].body


def test_rejecting_for_another_reason_needs_the_note(curator_client, submitter):
    initiative = pending_initiative(submitter)
    response = curator_client.post(
        f"/curate/decide/initiative/{initiative.pk}/",
        {"action": "reject", "reason_code": "other", "reason": "  "},
        follow=True,
    )
    assert "With the reason “Other”, write the reason in the note." in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.status == "pending"
    assert not ModerationDecision.objects.exists()
    curator_client.post(
        f"/curate/decide/initiative/{initiative.pk}/",
        {"action": "reject", "reason_code": "other", "reason": "A for-profit course."},
    )
    initiative.refresh_from_db()
    assert initiative.status == "rejected"


def test_bulk_approval_does_not_record_the_reason_list_left_on_its_first_entry(
    curator_client, submitter
):
    initiative = pending_initiative(submitter)
    curator_client.post(
        "/curate/bulk/",
        {
            "action": "approve",
            "reason_code": "out_of_scope",
            "item": [f"initiative:{initiative.pk}"],
        },
    )
    assert ModerationDecision.objects.get(action="approve").reason_code == ""


def test_reverting_keeps_when_the_listing_was_last_verified(curator_client):
    from datetime import timedelta

    from django.utils import timezone

    initiative = InitiativeFactory(title="Good title", last_verified_at=None)
    first = initiative.history.first()
    verified, asked = timezone.now() - timedelta(days=3), timezone.now() - timedelta(days=40)
    initiative.title = "Vandalised"
    initiative.last_verified_at, initiative.stale_notice_sent_at = verified, asked
    initiative.save()
    curator_client.post(f"/curate/history/initiatives/{initiative.slug}/revert/{first.history_id}/")
    initiative.refresh_from_db()
    assert initiative.title == "Good title"
    assert (initiative.last_verified_at, initiative.stale_notice_sent_at) == (verified, asked)
    assert initiative not in curator_client.get("/curate/stale/").context["listings"]


def test_an_initiative_and_its_waiting_organization_are_approved_together(
    curator_client, submitter
):
    org = OrganizationFactory(
        name="New Org", status="pending", published_at=None, submitted_by=submitter
    )
    initiative = pending_initiative(submitter, organization=org, title="Early work")
    queue = curator_client.get("/curate/queue/").content.decode()
    assert "Approve with “New Org”" in queue
    response = curator_client.post(
        f"/curate/decide/initiative/{initiative.pk}/",
        {"action": "approve", "with_parent": "1"},
        follow=True,
    )
    html = response.content.decode()
    assert "Approved: New Org" in html and "Approved: Early work" in html
    assert "will be public as soon as" not in html
    assert curator_client.get(initiative.get_absolute_url()).status_code == 200
    assert [d.target for d in ModerationDecision.objects.order_by("decided_at")] == [
        org,
        initiative,
    ]
    assert "It is now public" in mail.outbox[-1].body
