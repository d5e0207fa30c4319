"""The HSDS 3.0 read API (/api/hsds/): every endpoint type answers documents that the HSDS 3.0
JSON schemas accept, with published data only, HSDS paging and the HSDS filters."""

from datetime import timedelta

import pytest
from django.utils import timezone

from directory.hsds import mapping
from directory.models import Event, Language
from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

from .schemas import assert_valid, assert_valid_page

pytestmark = pytest.mark.django_db

API = "/api/hsds"


@pytest.fixture
def listed(valley):
    """Valley Mediation Center (conftest), and an organization nobody has published yet."""
    hidden = OrganizationFactory(name="Pending group", status="pending")
    InitiativeFactory(organization=hidden, title="Hidden work")
    return valley


def get(client, path, **params):
    response = client.get(API + path, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_every_endpoint_type_answers_valid_hsds_3(client, listed):
    org, initiative, _online = listed
    root = get(client, "/")
    assert root["version"] == "3.0" and root["openapi_url"].endswith("/api/schema/")
    # HSDS paths have no trailing slash; /api/v1/'s style with one answers the same.
    assert get(client, "/services/") == get(client, "/services")
    assert get(client, f"/services/{initiative.uuid}/") == get(
        client, f"/services/{initiative.uuid}"
    )

    orgs = get(client, "/organizations")
    assert_valid_page(orgs, "compiled/organization_list.json")
    assert [o["name"] for o in orgs["contents"]] == ["Valley Mediation Center"]
    for params in ({"full": "true"}, {"full_service": "true"}):
        page = get(client, "/organizations", **params)
        assert_valid_page(page, "organization.json")
    detail = get(client, f"/organizations/{org.uuid}", full_service="true")
    assert_valid(detail, "organization.json")
    assert len(detail["services"]) == 2
    for service in detail["services"]:
        assert_valid(service, "service.json")

    services = get(client, "/services")
    assert_valid_page(services, "compiled/service_list.json")
    assert {s["name"] for s in services["contents"]} == {"Neighbor mediation", "Online dialogues"}
    assert_valid_page(get(client, "/services", full="true"), "service.json")
    minimal = get(client, "/services", minimal="true")
    assert set(minimal["contents"][0]) == {"id", "last_modified"}
    service = get(client, f"/services/{initiative.uuid}")
    assert_valid(service, "service.json")

    sals = get(client, "/service_at_locations")
    assert_valid_page(sals, "compiled/service_at_location_list.json")
    assert [s["id"] for s in sals["contents"]] == [
        str(initiative.uuid)
    ]  # the online one has no place
    assert_valid_page(get(client, "/service_at_locations", full="true"), "service_at_location.json")
    assert_valid(
        get(client, f"/service_at_locations/{initiative.uuid}"), "service_at_location.json"
    )

    locations = get(client, "/locations")
    assert_valid_page(locations, "location.json")
    assert len(locations["contents"]) == 2
    assert_valid(get(client, f"/locations/{org.uuid}"), "location.json")
    assert_valid(get(client, f"/locations/{initiative.uuid}"), "location.json")

    taxonomies = get(client, "/taxonomies")
    assert_valid_page(taxonomies, "taxonomy.json")
    assert len(taxonomies["contents"]) == 2
    assert_valid(get(client, f"/taxonomies/{mapping.ROLES_TAXONOMY_ID}"), "taxonomy.json")
    terms = get(client, "/taxonomy_terms", per_page=100)
    assert_valid_page(terms, "taxonomy_term.json")
    assert terms["total_items"] == 7 + 11 + 53
    assert_valid(
        get(client, f"/taxonomy_terms/{mapping.goal_term_id('compromise')}"), "taxonomy_term.json"
    )


def test_a_service_carries_its_place_taxonomy_sources_and_events(client, listed):
    org, initiative, _online = listed
    service = get(client, f"/services/{initiative.uuid}")
    assert service["organization_id"] == str(org.uuid) == service["organization"]["id"]
    assert (
        service["status"] == "active" and service["url"] == "https://valley.example.org/mediation"
    )
    assert service["application_process"] == "Come to a training."
    (sal,) = service["service_at_locations"]
    address = sal["location"]["addresses"][0]
    assert (address["city"], address["state_province"], address["postal_code"]) == (
        "Boulder",
        "CO",
        "80302",
    )
    assert service["service_areas"][0]["extent"] == "local"
    assert service["languages"] == [
        {
            "id": mapping.derived_id("language", initiative.uuid, "es"),
            "service_id": str(initiative.uuid),
            "name": "Spanish",
            "code": "es",
        }
    ]
    links = {(a["link_type"], a["taxonomy_term"]["taxonomy_id"]) for a in service["attributes"]}
    assert links == {("goal", mapping.GOALS_TAXONOMY_ID), ("role", mapping.ROLES_TAXONOMY_ID)}
    (source,) = service["metadata"]
    assert source["last_action_type"] == "source"
    assert (source["replacement_value"], source["updated_by"], source["last_action_date"]) == (
        "https://news.example.org/story",
        "Daily News",
        "2026-11-30",
    )
    (schedule,) = service["schedules"]
    assert schedule["description"] == "Mediation training" and schedule["timezone"] in (-7, -6)
    assert schedule["attending_type"] == "in_person" and schedule["schedule_link"].endswith(
        "/events/mediation-training/"
    )


def test_an_organization_carries_identifiers_urls_and_verification(client, listed):
    org = listed[0]
    document = get(client, f"/organizations/{org.uuid}")
    assert document["website"] == "https://valley.example.org/"
    assert document["uri"] == "http://testserver/organizations/valley-mediation/"
    assert document["year_incorporated"] == 1994
    assert document["description"] == (
        "Brings neighbours together to talk about local decisions.\n\nLonger text.\n\nWith paragraphs."
    )
    assert document["organization_identifiers"][0]["identifier"] == "valley-mediation"
    actions = [(m["last_action_type"], m["last_action_date"]) for m in document["metadata"]]
    assert actions == [("source", "2026-12-01"), ("verified", "2026-11-02T09:30:00Z")]
    assert "services" not in document


def test_role_groups_are_parent_terms(client):
    role = Role.objects.select_related("group").get(number=1)
    group_id = mapping.group_term_id(role.group.slug)
    top = get(client, "/taxonomy_terms", top_only="true", per_page=100)
    assert top["total_items"] == 7 + 11
    children = get(client, "/taxonomy_terms", parent_id=group_id, per_page=100)
    assert mapping.role_term_id(role.slug) in [t["id"] for t in children["contents"]]
    assert all(t["parent_id"] == group_id for t in children["contents"])
    goals = get(client, "/taxonomy_terms", taxonomy_id=mapping.GOALS_TAXONOMY_ID)
    assert goals["total_items"] == 7
    spanish = get(client, f"/taxonomy_terms/{mapping.goal_term_id('compromise')}", lang="es")
    assert spanish["language"] == "es"


def test_paging_follows_hsds(client, listed):
    first = get(client, "/services", per_page=1)
    assert (first["total_items"], first["total_pages"], first["size"]) == (2, 2, 1)
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    second = get(client, "/services", per_page=1, page=2)
    assert second["last_page"] and not second["first_page"]
    assert second["contents"][0]["id"] != first["contents"][0]["id"]
    beyond = get(client, "/services", per_page=1, page=3)
    assert beyond["empty"] and beyond["contents"] == []
    for bad in (
        {"per_page": 0},
        {"per_page": 101},
        {"page": "x"},
        {"full": "maybe"},
        {"modified_after": "yesterday"},
        {"organization_id": "nope"},
        {"format": "xml"},
        {"lang": "xx"},
    ):
        assert client.get(API + "/services", bad).status_code == 400, bad


def test_filters_combine_as_hsds_defines(client, listed):
    org, initiative, online = listed
    other = InitiativeFactory(title="Other work")
    ids = lambda page: {s["id"] for s in page["contents"]}  # noqa: E731
    assert ids(get(client, "/services", organization_id=str(org.uuid))) == {
        str(initiative.uuid),
        str(online.uuid),
    }
    role = initiative.roles.select_related("group").get()
    by_role = get(client, "/services", taxonomy_term_id=mapping.role_term_id(role.slug))
    assert ids(by_role) == {str(initiative.uuid)}
    by_group = get(client, "/services", taxonomy_term_id=mapping.group_term_id(role.group.slug))
    assert ids(by_group) == {str(initiative.uuid)}
    assert ids(get(client, "/services", taxonomy_id=mapping.GOALS_TAXONOMY_ID)) == {
        str(initiative.uuid)
    }
    assert ids(get(client, "/services", search="dialogues")) == {str(online.uuid)}
    # Cumulative (AND): this organization and a taxonomy the other service lacks.
    assert (
        ids(
            get(
                client,
                "/services",
                organization_id=str(other.organization.uuid),
                taxonomy_id=mapping.GOALS_TAXONOMY_ID,
            )
        )
        == set()
    )
    near = get(client, "/service_at_locations", postcode="80301", proximity="20000")
    assert ids(near) == {str(initiative.uuid)}
    assert ids(get(client, "/service_at_locations", postcode="80302")) == {str(initiative.uuid)}
    assert client.get(API + "/service_at_locations", {"postcode": "00000"}).status_code == 400


def test_modified_after_is_for_sync(client, listed):
    _org, initiative, online = listed
    later = timezone.now() + timedelta(seconds=1)
    assert get(client, "/services", modified_after=later.isoformat())["total_items"] == 0
    from directory.models import Initiative

    Initiative.objects.filter(pk=online.pk).update(updated_at=later + timedelta(seconds=1))
    changed = get(client, "/services", modified_after=later.isoformat())
    assert [s["id"] for s in changed["contents"]] == [str(online.uuid)]
    assert get(client, "/organizations", modified_after="2000-01-01")["total_items"] == 1
    # A changed event (a schedule of its service) counts as a change to the service.
    Event.objects.filter(initiative=initiative).update(updated_at=later + timedelta(seconds=2))
    changed = get(client, "/services", modified_after=later.isoformat())
    assert {s["id"] for s in changed["contents"]} == {str(online.uuid), str(initiative.uuid)}


def test_unpublished_and_unknown_ids_are_not_found(client, listed):
    hidden = OrganizationFactory(status="pending")
    for path in (
        f"/organizations/{hidden.uuid}",
        "/services/not-a-uuid",
        f"/taxonomies/{hidden.uuid}",
        f"/locations/{hidden.uuid}",
    ):
        assert client.get(API + path).status_code == 404, path


def test_ndjson_streams_every_result(client, listed):
    assert client.get(API + "/services", {"format": "ndjson", "page": "2.5"}).status_code == 400
    response = client.get(API + "/services", {"format": "ndjson"})
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2


def test_same_rate_limits_and_keys_as_v1(client, settings, api_key):
    settings.API_RATES = {**settings.API_RATES, "anon": "2/minute", "partner": "5/minute"}
    assert [client.get(API + "/taxonomies").status_code for _ in range(3)] == [200, 200, 429]
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}"}
    assert client.get(API + "/taxonomies", **headers).status_code == 200


def test_the_openapi_schema_covers_the_hsds_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = [p for p in schema["paths"] if p.startswith("/api/hsds/")]
    assert sorted(paths) == sorted(
        ["/api/hsds/"]
        + [
            f"/api/hsds/{name}{tail}"
            for name in (
                "organizations",
                "services",
                "service_at_locations",
                "locations",
                "taxonomies",
                "taxonomy_terms",
            )
            for tail in ("", "/{id}")
        ]
    )
    parameters = {p["name"] for p in schema["paths"]["/api/hsds/services"]["get"]["parameters"]}
    assert {
        "page",
        "per_page",
        "modified_after",
        "taxonomy_term_id",
        "taxonomy_id",
        "organization_id",
        "search",
        "full",
        "minimal",
    } <= parameters


def test_locations_page_across_organizations_and_services(client, listed):
    org, initiative, _online = listed
    pages = [get(client, "/locations", per_page=1, page=n) for n in (1, 2, 3)]
    assert [p["total_items"] for p in pages] == [2, 2, 2]
    assert {p["contents"][0]["id"] for p in pages[:2]} == {str(org.uuid), str(initiative.uuid)}
    assert pages[2]["empty"]
    found = get(client, "/locations", search="Neighbor")
    assert [loc["id"] for loc in found["contents"]] == [str(initiative.uuid)]


@pytest.mark.parametrize(
    "path",
    ["/services?full=true", "/organizations?full_service=true", "/service_at_locations?full=true"],
)
def test_lists_take_the_same_number_of_queries_however_long(client, listed, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(API + path).status_code == 200
        return len(captured)

    before = queries()
    role, goal = Role.objects.get(number=5), Goal.objects.get(number=2)
    for _ in range(4):
        org = OrganizationFactory(postal_code="80302", roles=[role], goals=[goal])
        InitiativeFactory(
            organization=org,
            postal_code="80302",
            roles=[role],
            goals=[goal],
            languages=[Language.objects.get(code="en")],
        )
    assert queries() == before
