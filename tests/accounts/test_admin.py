"""Curators' admin pages for listings and members load, and their actions work."""

import pytest

from directory.models import ChangeRequest, ClaimRequest, Membership
from tests.factories import InitiativeFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "model",
    ["organization", "initiative", "membership", "claimrequest", "changerequest", "invitation"],
)
def test_admin_lists_load(admin_client, model):
    InitiativeFactory()
    assert admin_client.get(f"/admin/directory/{model}/").status_code == 200


def test_admin_history_and_change_pages_load(admin_client):
    initiative = InitiativeFactory(title="Shown in admin")
    assert (
        admin_client.get(f"/admin/directory/initiative/{initiative.pk}/change/").status_code == 200
    )
    history = admin_client.get(f"/admin/directory/initiative/{initiative.pk}/history/")
    assert history.status_code == 200


def test_admin_approves_a_change_request_and_grants_a_claim(admin_client):
    member = UserFactory(username="m")
    org = OrganizationFactory(name="Before", postal_code="80302")
    change = ChangeRequest.objects.create(
        organization=org,
        submitted_by=member,
        proposed={
            "name": ["After"],
            "summary": [org.summary],
            "postal_code": ["80302"],
            "scope": ["local"],
            "roles": [],
            "goals": [],
            "networks": [],
        },
    )
    page = admin_client.get(f"/admin/directory/changerequest/{change.pk}/change/").content.decode()
    assert "<del>Before</del>" in page and "<ins>After</ins>" in page
    admin_client.post(
        "/admin/directory/changerequest/",
        {"action": "approve", "_selected_action": [change.pk]},
    )
    org.refresh_from_db()
    assert org.name == "After"

    other = OrganizationFactory()
    claim = ClaimRequest.objects.create(
        user=member, organization=other, evidence="message", message="hi"
    )
    admin_client.post(
        "/admin/directory/claimrequest/", {"action": "grant", "_selected_action": [claim.pk]}
    )
    assert Membership.objects.get(organization=other).user == member


def test_curators_can_tune_the_role_finder_in_the_admin(admin_client):
    from roles.models import FinderAnswer

    answer = FinderAnswer.objects.get(kind="skill", slug="law")
    page = admin_client.get(f"/admin/roles/finderanswer/{answer.pk}/change/")
    assert page.status_code == 200
    assert "Mediators" in page.content.decode()
