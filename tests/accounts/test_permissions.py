"""Nobody reaches another organization's listings by guessing slugs or ids."""

import pytest

from directory.models import Membership
from tests.factories import (
    ChangeRequestFactory,
    InitiativeFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def outsider(client):
    user = UserFactory(username="out", verified=True)
    client.force_login(user)
    return user


@pytest.fixture
def theirs():
    owner = UserFactory(username="own")
    org = OrganizationFactory(slug="their-org", owner=owner)
    initiative = InitiativeFactory(organization=org, slug="their-work")
    pending = InitiativeFactory(organization=org, slug="their-pending", status="pending")
    change = ChangeRequestFactory(listing=org, proposed={"name": ["x"]}, submitted_by=owner)
    return org, initiative, pending, change


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/dashboard/organizations/their-org/edit/"),
        ("post", "/dashboard/organizations/their-org/edit/"),
        ("get", "/dashboard/initiatives/their-work/edit/"),
        ("post", "/dashboard/initiatives/their-work/edit/"),
        ("get", "/dashboard/initiatives/their-pending/edit/"),
        ("post", "/dashboard/initiatives/their-work/withdraw/"),
        ("post", "/dashboard/organizations/their-org/withdraw/"),
        ("post", "/dashboard/initiatives/their-work/confirm/"),
        ("get", "/dashboard/organizations/their-org/invite/"),
        ("post", "/dashboard/organizations/their-org/invite/"),
        ("get", "/dashboard/anything/their-org/edit/"),
    ],
)
def test_a_non_member_gets_404_on_every_member_route(client, outsider, theirs, method, url):
    response = getattr(client, method)(url, {"name": "Hijacked", "email": "x@example.org"})
    assert response.status_code == 404
    org, initiative, _, _ = theirs
    org.refresh_from_db()
    initiative.refresh_from_db()
    assert org.name != "Hijacked" and org.status == "published"
    assert initiative.status == "published"


def test_a_non_member_cannot_see_a_change_request_by_id(client, outsider, theirs):
    change = theirs[3]
    assert client.get(f"/dashboard/changes/{change.pk}/").status_code == 404


def test_a_non_member_cannot_submit_for_someone_elses_organization(client, outsider, theirs):
    response = client.post(
        "/submit/initiative/",
        {
            "organization": "their-org",
            "title": "Sneaky",
            "summary": "x",
            "scope": "national",
            "send": "1",
        },
    )
    assert response.status_code in (302, 400)
    assert not theirs[0].initiatives.filter(title="Sneaky").exists()


def test_the_dashboard_shows_only_my_listings(client, outsider, theirs):
    html = client.get("/dashboard/").content.decode()
    assert "their-org" not in html and "their-work" not in html


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/",
        "/submit/organization/",
        "/submit/initiative/",
        "/organizations/their-org/claim/",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, theirs, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_members_cannot_reach_the_admin(client, outsider):
    response = client.get("/admin/directory/initiative/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_forms_require_csrf(theirs):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(Membership.objects.get().user)
    response = strict.post("/dashboard/organizations/their-org/edit/", {"name": "No token"})
    assert response.status_code == 403
