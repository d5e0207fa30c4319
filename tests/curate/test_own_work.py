"""A curator does not decide on their own submission, edit or claim while another curator can;
when they are the only curator, their decision stands and its record says so."""

import pytest

from directory.models import ChangeRequest, ClaimRequest, Membership, ModerationDecision
from directory.services.curators import SOLE_CURATOR_NOTE
from tests.factories import CuratorFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_curator(curator):
    return CuratorFactory(username="c2", email="second@example.org", verified=False)


def own_items(curator):
    """What a curator who also runs an organization would find in the queue."""
    org = OrganizationFactory(
        name="Curator's Own Group", status="pending", published_at=None, submitted_by=curator
    )
    listed = OrganizationFactory(name="Listed Group", postal_code="80302")
    Membership.objects.create(user=curator, organization=listed, role="owner")
    edit = ChangeRequest.objects.create(
        organization=listed,
        submitted_by=curator,
        proposed={
            "name": ["Renamed"],
            "summary": [listed.summary],
            "postal_code": ["80302"],
            "scope": ["local"],
            "roles": [],
            "goals": [],
            "networks": [],
        },
    )
    claim = ClaimRequest.objects.create(
        user=curator,
        organization=OrganizationFactory(name="Wanted Group"),
        evidence="message",
        message="Mine.",
    )
    return {"organization": org, "change": edit, "claim": claim}


def test_a_curator_cannot_approve_their_own_organization_edit_or_claim(
    curator_client, curator, second_curator
):
    items = own_items(curator)
    for kind, item in items.items():
        response = curator_client.post(
            f"/curate/decide/{kind}/{item.pk}/", {"action": "approve"}, follow=True
        )
        assert "another curator must decide it" in response.content.decode(), kind
    assert not ModerationDecision.objects.exists()
    items["organization"].refresh_from_db()
    assert items["organization"].status == "pending"
    assert not Membership.objects.filter(organization=items["claim"].organization).exists()
    assert ChangeRequest.objects.get().status == "pending"
    queue = curator_client.get("/curate/queue/").content.decode()
    assert queue.count("Your own submission or claim") == 3


def test_another_curator_decides_them(client, curator, second_curator):
    items = own_items(curator)
    client.force_login(second_curator)
    for kind, item in items.items():
        client.post(f"/curate/decide/{kind}/{item.pk}/", {"action": "approve"})
    decisions = ModerationDecision.objects.filter(action="approve", curator=second_curator)
    assert decisions.count() == 3
    assert not any(SOLE_CURATOR_NOTE in d.reason for d in decisions)


def test_bulk_and_admin_actions_follow_the_same_rule(curator_client, curator, second_curator):
    items = own_items(curator)
    curator_client.post(
        "/curate/bulk/", {"action": "approve", "item": [f"{k}:{i.pk}" for k, i in items.items()]}
    )
    curator_client.post(
        "/admin/directory/claimrequest/",
        {"action": "grant", "_selected_action": [items["claim"].pk]},
    )
    curator_client.post(
        "/admin/directory/changerequest/",
        {"action": "approve", "_selected_action": [items["change"].pk]},
    )
    assert not ModerationDecision.objects.exists()
    assert not Membership.objects.filter(organization=items["claim"].organization).exists()
    page = curator_client.get(f"/admin/directory/organization/{items['organization'].pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()  # published by another curator only


def test_the_only_curator_decides_and_the_record_says_so(curator_client, curator):
    items = own_items(curator)
    for kind, item in items.items():
        curator_client.post(
            f"/curate/decide/{kind}/{item.pk}/", {"action": "approve", "reason": "Checked."}
        )
    decisions = ModerationDecision.objects.filter(action="approve", curator=curator)
    assert decisions.count() == 3
    for decision in decisions:
        assert decision.reason == f"Checked.\n\n{SOLE_CURATOR_NOTE}"
    items["organization"].refresh_from_db()
    assert items["organization"].status == "published"
    assert Membership.objects.filter(organization=items["claim"].organization, user=curator)
