"""The change feed keeps a mirror exact; partner submissions land as pending."""

import pytest
from django.utils import timezone

from directory.models import Initiative, Organization
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

FEED = "/api/v1/changes/"


def sync(client, mirror: dict, since: str | None = None, limit: int = 2) -> int:
    """Replay the feed into ``mirror`` ({(type, id): object}) page by page; return pages read."""
    url = f"{FEED}?limit={limit}" + (f"&since={since}" if since else "")
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        for item in body["results"]:
            key = (item["type"], item["id"])
            if "removed_at" in item:
                mirror.pop(key, None)
            else:
                mirror[key] = item["object"]
        url = body["next"]
        pages += 1
    return pages


def public_set(client) -> dict:
    public = {}
    for kind, path in (("initiative", "initiatives"), ("organization", "organizations")):
        url = f"/api/v1/{path}/?page_size=100"
        while url:
            body = client.get(url).json()
            public.update({(kind, row["id"]): row for row in body["results"]})
            url = body["next"]
    return public


def test_a_replayed_feed_ends_equal_to_the_public_set(client):
    role = Role.objects.get(slug="facilitators")
    orgs = OrganizationFactory.create_batch(2)
    kept = InitiativeFactory(organization=orgs[0], title="Kept")
    edited = InitiativeFactory(organization=orgs[0], title="Before edit")
    unpublished = InitiativeFactory(organization=orgs[1], title="Will be archived")
    deleted = InitiativeFactory(organization=orgs[1], title="Will be deleted")
    InitiativeFactory(status="pending", title="Never public")
    mirror: dict = {}
    assert sync(client, mirror) >= 3  # paged with a cursor
    assert mirror == public_set(client)
    checkpoint = timezone.now().isoformat()

    edited.title = "After edit"
    edited.save()
    edited.roles.add(role)  # a change of roles alone must reach the mirror too
    unpublished.status = "archived"
    unpublished.save()
    deleted.delete()
    added = InitiativeFactory(title="Added later")
    sync(client, mirror, since=checkpoint)

    assert mirror == public_set(client)
    titles = {obj.get("title") for obj in mirror.values()}
    assert {"Kept", "After edit", "Added later"} <= titles
    assert not {"Before edit", "Will be archived", "Will be deleted", "Never public"} & titles
    assert ("initiative", str(added.uuid)) in mirror
    assert ("initiative", str(kept.uuid)) in mirror
    assert mirror[("initiative", str(edited.uuid))]["roles"][0]["slug"] == "facilitators"


def test_changing_only_the_roles_bumps_updated_at():
    initiative = InitiativeFactory()
    before = initiative.updated_at
    initiative.roles.add(Role.objects.get(slug="mediators"))
    initiative.refresh_from_db()
    assert initiative.updated_at > before
    touched = initiative.updated_at
    initiative.goals.clear()
    initiative.roles.remove(Role.objects.get(slug="mediators"))
    assert Initiative.objects.get(pk=initiative.pk).updated_at > touched


def test_tombstones_name_what_left_the_public_set(client):
    initiative = InitiativeFactory()
    checkpoint = timezone.now().isoformat()
    initiative.status = "archived"
    initiative.save()
    items = client.get(f"{FEED}?since={checkpoint}").json()["results"]
    assert items == [
        {"type": "initiative", "id": str(initiative.uuid), "removed_at": items[0]["removed_at"]}
    ]


def test_listings_that_were_never_public_never_appear(client):
    pending = InitiativeFactory(status="pending", published_at=None)
    rejected = OrganizationFactory(status="rejected", published_at=None)
    body = client.get(FEED).content.decode()
    assert str(pending.uuid) not in body and str(rejected.uuid) not in body


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=yesterday", "since"),
        ("since=2026-01-01T00:00:00", "since"),
        ("cursor=garbage", "cursor"),
        ("limit=0", "limit"),
        ("limit=9999", "limit"),
    ],
)
def test_bad_feed_parameters_are_a_400(client, query, field):
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == 400
    assert field in response.json()


SUBMISSION = {
    "title": "Neighbors for fair elections",
    "summary": "Trains volunteers to explain how local elections work.",
    "organization": {"name": "Fair Count Collective", "summary": "A volunteer group."},
    "roles": ["civic-participants"],
    "goals": ["electoral-integrity"],
    "postal_code": "80302",
    "welcomes_newcomers": True,
}


def test_submissions_need_an_api_key(client):
    response = client.post("/api/v1/submissions/", SUBMISSION, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Initiative.objects.filter(title=SUBMISSION["title"]).exists()


def test_a_submission_lands_as_pending_and_stays_private(client, api_key):
    response = client.post(
        "/api/v1/submissions/",
        {**SUBMISSION, "status": "published", "source": "paper", "published_at": "2020-01-01"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {api_key}",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    initiative = Initiative.objects.get(uuid=body["id"])
    assert (initiative.status, initiative.source, initiative.published_at) == (
        "pending",
        "partner",
        None,
    )
    assert initiative.organization.status == "pending"
    assert initiative.city == "Boulder"
    assert list(initiative.roles.values_list("slug", flat=True)) == ["civic-participants"]
    assert "Test partner" in initiative.history.first().history_change_reason
    assert client.get(f"/api/v1/initiatives/{initiative.uuid}/").status_code == 404
    assert SUBMISSION["title"] not in client.get("/api/v1/initiatives/").content.decode()


def test_a_submission_can_name_a_listed_organization(client, api_key):
    org = OrganizationFactory()
    response = client.post(
        "/api/v1/submissions/",
        {**SUBMISSION, "organization": {"id": str(org.uuid)}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {api_key}",
    )
    assert response.status_code == 201
    assert Initiative.objects.get(uuid=response.json()["id"]).organization == org


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"summary": "x" * 281}, "summary"),
        ({"postal_code": "00000"}, "postal_code"),
        ({"postal_code": "12"}, "postal_code"),
        ({"postal_code": "", "scope": "local"}, "postal_code"),
        ({"roles": ["astronauts"]}, "roles"),
        ({"organization": {"name": "No summary"}}, "organization"),
        ({"organization": {"id": "00000000-0000-0000-0000-000000000000"}}, "organization"),
        ({"starts_on": "2026-05-01", "ends_on": "2026-04-01"}, "ends_on"),
        ({"get_involved_url": "javascript:alert(1)"}, "get_involved_url"),
    ],
)
def test_invalid_submissions_get_field_errors_and_save_nothing(client, api_key, change, field):
    response = client.post(
        "/api/v1/submissions/",
        {**SUBMISSION, **change},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {api_key}",
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Initiative.objects.exists()
    assert not Organization.objects.exists()


def test_two_submissions_with_one_title_get_distinct_slugs(client, api_key):
    slugs = set()
    for _ in range(2):
        response = client.post(
            "/api/v1/submissions/",
            {**SUBMISSION, "organization": {"name": "Same", "summary": "Same org."}},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {api_key}",
        )
        slugs.add(response.json()["slug"])
    assert slugs == {"neighbors-for-fair-elections", "neighbors-for-fair-elections-2"}


def test_the_embed_page_may_be_framed_and_other_pages_may_not(client):
    InitiativeFactory(title="Framed work", postal_code="80302")
    embed = client.get("/embed/initiatives/?state=CO")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "Framed work" in embed.content.decode()
    assert client.get("/initiatives/")["X-Frame-Options"] == "DENY"


def test_the_list_page_offers_an_embed_snippet_for_the_current_search(client):
    html = client.get("/initiatives/?state=CO").content.decode()
    assert "Embed this search" in html
    assert "http://testserver/embed/initiatives/?state=CO" in html


def test_a_cached_feed_page_follows_every_change(client, django_assert_num_queries):
    first = InitiativeFactory(title="First")
    page = client.get(FEED).json()
    with django_assert_num_queries(0):  # the same page again comes from the cache
        assert client.get(FEED).json() == page
    first.title = "First, renamed"
    first.save()
    InitiativeFactory(title="Second")
    titles = [
        item["object"]["title"]
        for item in client.get(FEED).json()["results"]
        if item["type"] == "initiative"
    ]
    assert titles == ["First, renamed", "Second"]
    gone = str(first.uuid)
    first.delete()
    removed = [item for item in client.get(FEED).json()["results"] if "removed_at" in item]
    assert [item["id"] for item in removed] == [gone]
