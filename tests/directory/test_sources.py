"""Sources are part of the data: shown on every detail page, carried in the API, exports and the
change feed, edited by curators (with history), and behind the near-ZIP search's statewide work."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from directory.models import Event, SourceRecord
from tests.factories import CuratorFactory, InitiativeFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sourced():
    organization = OrganizationFactory(
        name="Valley Mediation Center",
        slug="valley-mediation",
        postal_code="80302",
        founded_year=1994,
        classified_by="curator",
    )
    initiative = InitiativeFactory(
        organization=organization,
        title="Neighbor mediation",
        slug="neighbor-mediation",
        postal_code="80302",
        classified_by="curator",
    )
    SourceRecord.objects.create(
        organization=organization,
        url="https://valley.example.org/about",
        title="About us",
        publisher="Valley Mediation Center",
        seen_on=date(2026, 12, 1),
        supports=["name", "website", "place", "founding_year"],
    )
    SourceRecord.objects.create(
        initiative=initiative,
        url="https://news.example.org/story?a=1&b=<2>",
        publisher="Daily <News>",
        seen_on=date(2026, 11, 30),
        supports=["programs", "place"],
    )
    return organization, initiative


def test_detail_pages_show_the_sources_with_dates_and_facts(client, sourced):
    organization, initiative = sourced
    page = client.get(organization.get_absolute_url()).content.decode()
    assert 'id="sources-h"' in page
    assert 'href="https://valley.example.org/about"' in page
    assert "About us</a>, Valley Mediation Center" in page
    assert "Supports: name, website, place, founding year." in page
    assert "1994" in page and "our curators" in page
    page = client.get(initiative.get_absolute_url()).content.decode()
    # Escaped where shown; the address still works.
    assert 'href="https://news.example.org/story?a=1&amp;b=&lt;2&gt;"' in page
    assert "Daily &lt;News&gt;" in page and "<News>" not in page


def test_the_sources_section_speaks_spanish(client, sourced):
    page = client.get(sourced[0].get_absolute_url() + "?lang=es").content.decode()
    assert "Fuentes" in page and "Respalda: nombre, sitio web, lugar, año de fundación." in page


def test_an_event_page_shows_its_sources(client, sourced):
    event = Event.objects.create(
        organization=sourced[0],
        title="Open house",
        slug="open-house",
        summary="Come by.",
        starts_at=timezone.now() + timedelta(days=3),
        status="published",
    )
    SourceRecord.objects.create(
        event=event,
        url="https://valley.example.org/events",
        seen_on=date(2026, 12, 2),
        supports=["programs"],
    )
    page = client.get(event.get_absolute_url()).content.decode()
    assert 'href="https://valley.example.org/events"' in page


def test_a_listing_without_sources_says_where_it_came_from(client):
    organization = OrganizationFactory(source="self")
    assert (
        "Provided by the organization itself."
        in client.get(organization.get_absolute_url()).content.decode()
    )


def test_api_objects_carry_sources_and_founding_year(client, sourced):
    data = client.get("/api/v1/organizations/").json()["results"]
    (organization,) = [o for o in data if o["slug"] == "valley-mediation"]
    assert organization["founded_year"] == 1994
    assert organization["classified_by"] == "curator"
    assert organization["sources"] == [
        {
            "url": "https://valley.example.org/about",
            "title": "About us",
            "publisher": "Valley Mediation Center",
            "seen_on": "2026-12-01",
            "supports": ["name", "website", "place", "founding_year"],
        }
    ]
    uuid = str(sourced[1].uuid)
    detail = client.get(f"/api/v1/initiatives/{uuid}/").json()
    assert [s["url"] for s in detail["sources"]] == ["https://news.example.org/story?a=1&b=<2>"]


def test_exports_and_the_change_feed_carry_sources(client, sourced):
    rows = list(csv.DictReader(io.StringIO(_body(client, "/api/v1/initiatives/?format=csv"))))
    assert rows[0]["sources"] == "https://news.example.org/story?a=1&b=<2>"
    geo = json.loads(_body(client, "/api/v1/organizations/?format=geojson"))
    (feature,) = [f for f in geo["features"] if f["properties"]["slug"] == "valley-mediation"]
    assert feature["properties"]["sources"][0]["seen_on"] == "2026-12-01"
    changes = client.get("/api/v1/changes/").json()["results"]
    objects = {item["object"]["slug"]: item["object"] for item in changes if "object" in item}
    assert objects["neighbor-mediation"]["sources"][0]["publisher"] == "Daily <News>"


def test_a_new_source_shows_at_once_and_moves_the_change_feed(client, sourced):
    organization = sourced[0]
    client.get(organization.get_absolute_url())  # cached now
    before = type(organization).objects.get(pk=organization.pk).updated_at
    SourceRecord.objects.create(
        organization=organization, url="https://wiki.example.org/Valley", seen_on=date.today()
    )
    assert (
        "https://wiki.example.org/Valley"
        in client.get(organization.get_absolute_url()).content.decode()
    )
    assert type(organization).objects.get(pk=organization.pk).updated_at > before


def _body(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def curator_client(client):
    user = CuratorFactory(username="cur", email="curator@example.org")
    client.force_login(user)
    client.user = user
    return client


def _form(sources=(), new=None, delete=()):
    data = {
        "sources-TOTAL_FORMS": str(len(sources) + 1),
        "sources-INITIAL_FORMS": str(len(sources)),
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "1000",
    }
    for i, source in enumerate(sources):
        data.update(
            {
                f"sources-{i}-id": str(source.pk),
                f"sources-{i}-url": source.url,
                f"sources-{i}-title": source.title,
                f"sources-{i}-publisher": source.publisher,
                f"sources-{i}-seen_on": source.seen_on.isoformat(),
                f"sources-{i}-supports": source.supports,
            }
        )
        if source.pk in delete:
            data[f"sources-{i}-DELETE"] = "on"
    i = len(sources)
    for key, value in (new or {}).items():
        data[f"sources-{i}-{key}"] = value
    return data


def test_a_curator_adds_a_source_and_the_listing_counts_as_verified(curator_client, sourced):
    organization = sourced[0]
    url = f"/curate/sources/organizations/{organization.slug}/"
    assert curator_client.get(url).status_code == 200
    existing = list(organization.sources.all())
    response = curator_client.post(
        url,
        _form(
            existing,
            new={
                "url": "https://en.wikipedia.org/wiki/Valley",
                "publisher": "Wikipedia",
                "seen_on": "2026-12-04",
                "supports": ["place", "founding_year"],
            },
        ),
    )
    assert response.status_code == 302
    added = organization.sources.get(url="https://en.wikipedia.org/wiki/Valley")
    assert added.supports == ["place", "founding_year"]
    assert added.added_by == curator_client.user
    assert added.history.count() == 1  # recorded, so reversible
    organization.refresh_from_db()
    assert organization.last_verified_at.date() == date(2026, 12, 4)


def test_a_curator_removes_a_source_and_bad_input_keeps_what_was_typed(curator_client, sourced):
    organization = sourced[0]
    url = f"/curate/sources/organizations/{organization.slug}/"
    existing = list(organization.sources.all())
    response = curator_client.post(
        url, _form(existing, new={"url": "not a web address", "title": "My typed title"})
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "My typed title" in page and "Enter a valid URL" in page
    response = curator_client.post(url, _form(existing, delete={existing[0].pk}))
    assert response.status_code == 302
    assert not organization.sources.exists()
    assert SourceRecord.history.filter(history_type="-").count() == 1


def test_only_curators_edit_sources(client, sourced):
    url = f"/curate/sources/organizations/{sourced[0].slug}/"
    assert client.get(url).status_code == 302  # to sign in
    member = UserFactory(username="m")
    client.force_login(member)
    assert client.get(url).status_code == 403
    assert client.post(url, _form(new={"url": "https://x.example.org/"})).status_code == 403
    assert sourced[0].sources.count() == 1
    assert client.get("/curate/sources/nonsense/x/").status_code in (403, 404)


def test_the_admin_edits_sources_inline(admin_client, sourced):
    page = admin_client.get(f"/admin/directory/organization/{sourced[0].pk}/change/")
    assert page.status_code == 200
    assert "https://valley.example.org/about" in page.content.decode()


def test_near_a_zip_finds_statewide_work_of_that_state(client):
    OrganizationFactory(name="Colorado Civic Coalition", scope="state", state="CO")
    OrganizationFactory(name="Wyoming Civic Coalition", scope="state", state="WY")
    OrganizationFactory(name="Far away in Colorado", scope="local", postal_code="81501")
    data = client.get("/api/v1/organizations/?near=80302&radius=25").json()["results"]
    names = {o["name"] for o in data}
    assert "Colorado Civic Coalition" in names
    assert not names & {"Wyoming Civic Coalition", "Far away in Colorado"}


def test_the_stale_queue_shows_each_listings_sources(curator_client, sourced):
    organization = sourced[0]
    type(organization).objects.filter(pk=organization.pk).update(last_verified_at=None)
    page = curator_client.get("/curate/stale/").content.decode()
    assert 'href="https://valley.example.org/about"' in page
    assert f'href="/curate/sources/organizations/{organization.slug}/"' in page


@pytest.mark.parametrize(
    ("city", "state", "table_name"),
    [
        ("Boulder", "CO", "Boulder"),
        ("St. Louis", "MO", "Saint Louis"),
        ("Winston-Salem", "NC", "Winston Salem"),
        ("Ft. Lauderdale", "FL", "Fort Lauderdale"),
    ],
)
def test_a_city_without_a_zip_is_placed_at_its_centre(city, state, table_name):
    from directory.search.geo import haversine_miles, lookup_city, lookup_zip

    centre = lookup_city(city, state)
    assert centre is not None and centre.city == table_name and centre.postal_code == ""
    downtown = {"CO": "80302", "MO": "63101", "NC": "27101", "FL": "33301"}[state]
    near = lookup_zip(downtown)
    assert haversine_miles(centre.latitude, centre.longitude, near.latitude, near.longitude) < 10
    assert lookup_city("Nowhere", state) is None
    assert lookup_city(city, "DC") is None  # the state matters
