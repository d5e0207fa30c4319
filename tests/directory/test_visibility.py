"""Only published listings are ever public: lists, details, feeds, sitemaps, counts, search."""

import pytest

from directory.services.moderation import decide
from goals.models import Goal
from roles.models import Role
from tests.factories import CuratorFactory, EventFactory, InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

HIDDEN = ["pending", "rejected", "archived"]


@pytest.fixture
def listings():
    role = Role.objects.get(slug="convenors")
    goal = Goal.objects.get(slug="reconciliation")
    shown_org = OrganizationFactory(
        name="Shown Org Zebra", slug="shown-org-zebra", postal_code="80302"
    )
    shown = InitiativeFactory(
        title="Shown initiative zebra",
        organization=shown_org,
        roles=[role],
        goals=[goal],
        postal_code="80302",
    )
    hidden = {}
    for status in HIDDEN:
        org = OrganizationFactory(
            name=f"Hidden {status} org zebra",
            status=status,
            postal_code="80302",
            roles=[role],
            goals=[goal],
        )
        hidden[status] = InitiativeFactory(
            title=f"Hidden {status} initiative zebra",
            status=status,
            organization=shown_org,
            roles=[role],
            goals=[goal],
            postal_code="80302",
        )
        hidden[f"{status}-org"] = org
    return shown, hidden


PUBLIC_URLS = [
    "/",
    "/initiatives/",
    "/initiatives/?q=zebra",
    "/initiatives/?near=80302&view=map",
    "/initiatives/?role=convenors&goal=reconciliation&state=CO",
    "/organizations/",
    "/organizations/?q=zebra&view=map",
    "/organizations/shown-org-zebra/",
    "/roles/convenors/",
    "/goals/reconciliation/",
    "/feeds/initiatives.atom",
    "/feeds/initiatives.atom?q=zebra",
    "/sitemap.xml",
    "/embed/initiatives/",
    "/embed/initiatives/?q=zebra",
    "/api/v1/initiatives/",
    "/api/v1/initiatives/?q=zebra&format=csv",
    "/api/v1/initiatives/?format=geojson",
    "/api/v1/organizations/",
    "/api/v1/organizations/?format=csv",
    "/api/v1/organizations/?near=80302&format=geojson",
    "/api/v1/changes/",
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_hidden_listings_appear_on_no_public_page(client, listings, url):
    _, hidden = listings
    response = client.get(url)
    assert response.status_code == 200
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode()
    for obj in hidden.values():
        assert str(obj) not in body, f"{obj} leaked on {url}"
        assert obj.slug not in body, f"{obj} leaked on {url}"


def test_the_published_listing_is_visible_where_the_hidden_ones_are_not(client, listings):
    shown, _ = listings
    for url in ["/initiatives/?q=zebra", "/roles/convenors/", "/feeds/initiatives.atom"]:
        assert shown.title in client.get(url).content.decode(), url


@pytest.mark.parametrize("status", HIDDEN)
def test_hidden_detail_pages_are_404(client, listings, status):
    _, hidden = listings
    assert client.get(hidden[status].get_absolute_url()).status_code == 404
    assert client.get(hidden[f"{status}-org"].get_absolute_url()).status_code == 404


def test_counts_and_facets_ignore_hidden_listings(client, listings):
    response = client.get("/initiatives/?near=80302")
    assert response.context["paginator"].count == 1
    goals = {o.value: o.count for o in response.context["facets"]["goal"]}
    assert goals["reconciliation"] == 1
    role_page = client.get("/roles/convenors/")
    assert role_page.context["initiative_total"] == 1
    assert role_page.context["organization_total"] == 0
    assert client.get("/").context["stats"]["initiatives"] == 1


def test_archiving_a_published_listing_removes_it_everywhere(client, listings):
    shown, _ = listings
    shown.status = "archived"
    shown.save()
    assert client.get(shown.get_absolute_url()).status_code == 404
    assert shown.title not in client.get("/initiatives/?q=zebra").content.decode()
    assert shown.title not in client.get("/feeds/initiatives.atom").content.decode()


def test_an_archived_organization_takes_its_initiatives_and_events_with_it(client):
    org = OrganizationFactory(name="Closing Org")
    initiative = InitiativeFactory(organization=org, title="Orphaned work")
    event = EventFactory(organization=org, title="Orphaned event")
    before = initiative.updated_at
    decide(by=CuratorFactory(), target=org, action="archive")
    initiative.refresh_from_db()
    assert initiative.updated_at > before  # the change feed hears of it
    assert client.get(initiative.get_absolute_url()).status_code == 404
    assert client.get(event.get_absolute_url()).status_code == 404
    for url in ["/initiatives/", "/events/", "/api/v1/initiatives/", "/api/v1/events/", "/"]:
        assert "Orphaned" not in client.get(url).content.decode(), url
    items = client.get("/api/v1/changes/").json()["results"]
    tombstones = {i["id"] for i in items if "removed_at" in i}
    assert str(initiative.uuid) in tombstones


def visible_titles() -> set[str]:
    from directory.models import Initiative

    return set(Initiative.objects.published().values_list("title", flat=True))


def test_the_stored_visibility_follows_every_way_a_status_changes(tmp_path):
    """``Initiative.visible`` (what public reads filter on) follows the initiative's status and
    its organization's, whether they change by save, by a bulk update or by a fixture load."""
    from django.core.management import call_command

    from directory.models import Initiative, Organization

    org = OrganizationFactory(status="pending")
    work = InitiativeFactory(title="Kept in step", organization=org)
    assert "Kept in step" not in visible_titles()  # its organization is not public yet
    org.status = "published"
    org.save()
    assert "Kept in step" in visible_titles()
    Organization.objects.filter(pk=org.pk).update(status="archived")
    assert "Kept in step" not in visible_titles()
    Organization.objects.filter(pk=org.pk).update(status="published")
    Initiative.objects.filter(pk=work.pk).update(status="archived")
    assert "Kept in step" not in visible_titles()
    work.refresh_from_db()
    work.status = "published"
    work.save(update_fields=["status"])
    assert "Kept in step" in visible_titles()
    # A fixture's raw save skips save() but not the signal that keeps the flag.
    path = tmp_path / "one.json"
    call_command("dumpdata", "directory.initiative", pks=str(work.pk), output=str(path))
    Initiative.objects.filter(pk=work.pk).update(visible=False)
    call_command("loaddata", str(path), verbosity=0)
    assert "Kept in step" in visible_titles()
