"""The partner API: same results as the HTML pages, formats, errors, keys, limits, caching."""

import csv
import io
import itertools
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/initiatives/"


@pytest.fixture
def world():
    role = {r.slug: r for r in Role.objects.all()}
    goal = {g.slug: g for g in Goal.objects.all()}
    network = OrganizationFactory(name="Civic Network", slug="civic-network", is_network=True)
    org = OrganizationFactory(name="Front Range Dialogue", slug="front-range-dialogue")
    org.networks.add(network)
    items = [
        ("Boulder circles", "80302", "local", ["bridge-builders"], ["compromise"], True),
        (
            "Denver poll workers",
            "80202",
            "local",
            ["civic-participants"],
            ["electoral-integrity"],
            False,
        ),
        (
            "Chicago mediation",
            "60601",
            "local",
            ["mediators"],
            ["compromise", "reconciliation"],
            True,
        ),
        (
            "National fact checks",
            "",
            "national",
            ["disinformation-fighters"],
            ["bad-faith-actors"],
            False,
        ),
        (
            "Online dialogue week",
            "",
            "online",
            ["convenors", "bridge-builders"],
            ["compromise"],
            True,
        ),
        ("Austin listening", "78701", "local", ["bridge-builders"], ["reconciliation"], False),
    ]
    made = []
    for i, (title, zip_code, scope, roles, goals, newcomers) in enumerate(items):
        made.append(
            InitiativeFactory(
                title=title,
                postal_code=zip_code,
                scope=scope,
                welcomes_newcomers=newcomers,
                roles=[role[r] for r in roles],
                goals=[goal[g] for g in goals],
                organization=org if i < 2 else OrganizationFactory(),
                summary=f"{title} summary",
                website="https://example.org/" if i % 2 else "",
            )
        )
    InitiativeFactory(title="Pending secret", status="pending", postal_code="80302")
    InitiativeFactory(title="Archived secret", status="archived", postal_code="80302")
    return made


def api_slugs(client, query: str) -> list[str]:
    slugs, url = [], f"{API}?{query}&page_size=100"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        slugs += [row["slug"] for row in body["results"]]
        url = body["next"]
    return slugs


def html_slugs(client, query: str) -> list[str]:
    response = client.get(f"/initiatives/?{query}&page_size=100")
    assert response.status_code == 200
    return [obj.slug for obj in response.context["object_list"]]


FILTERS = [
    "",
    "goal=compromise",
    "role=bridge-builders",
    "group=constructive-communicators",
    "kind=actor",
    "state=CO",
    "scope=local",
    "scope=national&scope=online",
    "near=80302&radius=50",
    "near=80302&radius=50&include_national=true",
    "newcomers=true",
    "q=mediation",
    "q=dialogue",
    "organization=front-range-dialogue",
    "sort=name",
]


PAIRS = [
    (a, b) for a, b in itertools.combinations(FILTERS, 2) if not ("near=" in a and "near=" in b)
]


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_api_and_html_list_the_same_initiatives_in_the_same_order(client, world, a, b):
    query = "&".join(part for part in (a, b) if part)
    assert api_slugs(client, query) == html_slugs(client, query)


def test_the_parity_loop_covers_non_empty_results(client, world):
    non_empty = sum(1 for a, b in PAIRS if html_slugs(client, "&".join(p for p in (a, b) if p)))
    assert non_empty > len(PAIRS) // 2


def test_initiative_objects_follow_the_contract(client, world):
    row = client.get(f"{API}?q=boulder").json()["results"][0]
    assert row["id"] == str(world[0].uuid)
    assert row["url"] == f"http://testserver/initiatives/{world[0].slug}/"
    assert row["organization"] == {
        "id": str(world[0].organization.uuid),
        "slug": "front-range-dialogue",
        "name": "Front Range Dialogue",
    }
    assert row["roles"] == [
        {
            "slug": "bridge-builders",
            "name": "Bridge Builders",
            "group": "constructive-communicators",
        }
    ]
    assert row["goals"] == [{"slug": "compromise", "number": 1, "title": "Cultivate Compromise"}]
    assert row["location"]["city"] == "Boulder" and row["location"]["state"] == "CO"
    assert row["published_at"].endswith("Z")
    assert row["distance_miles"] is None


def test_near_adds_the_distance(client, world):
    rows = client.get(f"{API}?near=80302&radius=30").json()["results"]
    assert [(r["title"], round(r["distance_miles"])) for r in rows] == [
        ("Boulder circles", 0),
        ("Denver poll workers", 24),
    ]


def test_detail_by_uuid_and_hidden_objects_are_404(client, world):
    initiative = world[0]
    response = client.get(f"{API}{initiative.uuid}/")
    assert response.status_code == 200
    assert response.json()["title"] == "Boulder circles"
    assert "Last-Modified" in response
    from directory.models import Initiative

    for hidden in Initiative.objects.exclude(status="published"):
        assert client.get(f"{API}{hidden.uuid}/").status_code == 404
    assert client.get(f"{API}not-a-uuid/").status_code == 404


def test_organizations_endpoint_lists_networks(client, world):
    rows = client.get("/api/v1/organizations/?q=front+range").json()["results"]
    assert rows[0]["name"] == "Front Range Dialogue"
    assert rows[0]["networks"] == [
        {"id": str(rows[0]["networks"][0]["id"]), "slug": "civic-network", "name": "Civic Network"}
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("near=123", "near"),
        ("radius=900&near=80302", "radius"),
        ("goal=nope", "goal"),
        ("state=XX", "state"),
        ("sort=distance", "sort"),
        ("updated_since=soon", "updated_since"),
    ],
)
def test_bad_filters_are_a_json_400_with_the_same_messages_as_the_html(client, query, field):
    response = client.get(f"{API}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    html_errors = client.get(f"/initiatives/?{query}").context["errors"]
    assert response.json()[field] == list(html_errors[field])


def test_bad_filters_with_csv_format_still_answer_json(client):
    response = client.get(f"{API}?format=csv&near=abc")
    assert response.status_code == 400
    assert "near" in json.loads(response.content)


def test_hidden_initiatives_are_in_no_format(client, world):
    for fmt in ("json", "csv", "geojson"):
        body = (
            b"".join(client.get(f"{API}?format={fmt}").streaming_content)
            if fmt != "json"
            else client.get(API).content
        )
        assert b"secret" not in body, fmt


def test_csv_parses_and_matches_the_json(client, world):
    response = client.get(f"{API}?format=csv&sort=name")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    json_rows = client.get(f"{API}?sort=name&page_size=100").json()["results"]
    assert [r["id"] for r in rows] == [r["id"] for r in json_rows]
    assert [r["title"] for r in rows] == [r["title"] for r in json_rows]
    boulder = next(r for r in rows if r["title"] == "Boulder circles")
    assert boulder["roles"] == "bridge-builders"
    assert boulder["state"] == "CO"
    assert float(boulder["longitude"]) < 0  # numbers are not "neutralised"


def test_csv_neutralises_spreadsheet_formulas(client):
    InitiativeFactory(title='=HYPERLINK("http://evil")', summary="+1+1", get_involved="@SUM(A1)")
    body = b"".join(client.get(f"{API}?format=csv").streaming_content).decode()
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["title"] == '\'=HYPERLINK("http://evil")'
    assert row["summary"] == "'+1+1"
    assert row["get_involved"] == "'@SUM(A1)"


def test_geojson_is_a_feature_collection_matching_the_json(client, world):
    response = client.get(f"{API}?format=geojson&sort=name")
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(b"".join(response.streaming_content))
    assert data["type"] == "FeatureCollection"
    json_rows = client.get(f"{API}?sort=name&page_size=100").json()["results"]
    assert [f["id"] for f in data["features"]] == [r["id"] for r in json_rows]
    boulder = next(f for f in data["features"] if f["properties"]["title"] == "Boulder circles")
    assert boulder["geometry"]["type"] == "Point"
    lon, lat = boulder["geometry"]["coordinates"]
    assert (round(lat, 2), round(lon, 2)) == (40.02, -105.29)
    national = next(f for f in data["features"] if f["properties"]["scope"] == "national")
    assert national["geometry"] is None


def test_exports_stream_and_take_the_filters(client, world):
    response = client.get(f"{API}?format=csv&state=CO")
    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["title"] for r in rows} == {"Boulder circles", "Denver poll workers"}


def test_taxonomy_endpoints(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        roles = client.get("/api/v1/roles/").json()
    assert len(roles) == 53
    assert roles[0]["slug"] == "conflict-early-warners" and roles[0]["kind"] == "strategist"
    with django_assert_num_queries(2):
        groups = client.get("/api/v1/role-groups/").json()
    assert [g["letter"] for g in groups] == list("ABCDEFGHIJK")
    assert groups[6]["function_name"] == "Mutual Understanding"
    goals = client.get("/api/v1/goals/").json()
    assert [g["number"] for g in goals] == [1, 2, 3, 4, 5, 6, 7]


def test_list_query_count_is_the_same_for_5_and_50_rows(client, django_assert_num_queries):
    roles = list(Role.objects.all()[:3])
    for _ in range(55):
        InitiativeFactory(roles=roles, goals=list(Goal.objects.all()[:2]))
    for size in (5, 50):
        cache.clear()  # cold: the capped count is computed afresh, the taxonomy read again (4)
        # count, the page's keys, its rows (PostgreSQL: with their links and sources; SQLite:
        # then roles, goals, languages, sources)
        expected = 4 + (3 if connection.vendor == "postgresql" else 7)
        with django_assert_num_queries(expected):
            response = client.get(f"{API}?page_size={size}")
        assert len(response.json()["results"]) == size
    with django_assert_num_queries(0):  # warm: the whole answer comes from the cache
        assert len(client.get(f"{API}?page_size=50").json()["results"]) == 50


def test_cached_api_answers_follow_every_change_and_the_language(
    client, settings, django_assert_num_queries
):
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example.org"]
    role = Role.objects.get(slug="mediators")
    first = InitiativeFactory(roles=[role], title="First one")
    body = client.get(API).json()
    assert body["count"] == 1
    detail = client.get(f"{API}{first.uuid}/")
    with django_assert_num_queries(0):
        assert client.get(API).json() == body
        again = client.get(f"{API}{first.uuid}/")
        assert again.json() == detail.json()
        assert again["Last-Modified"] == detail["Last-Modified"] != ""
    # A new listing, an edit, a new role: each is visible on the very next request.
    InitiativeFactory(title="Second one")
    assert client.get(API).json()["count"] == 2
    first.title = "First one, renamed"
    first.save()
    assert client.get(f"{API}{first.uuid}/").json()["title"] == "First one, renamed"
    assert detail.json()["title"] == "First one"
    first.roles.add(Role.objects.exclude(pk=role.pk).first())
    assert len(client.get(f"{API}{first.uuid}/").json()["roles"]) == 2
    # Each language and each host has its own entry.
    roles = client.get(API + "?lang=es").json()["results"][-1]["roles"]
    spanish = next(r["name"] for r in roles if r["slug"] == "mediators")
    assert spanish == role.name_es != role.name_en
    other_host = client.get(API, HTTP_HOST="mirror.example.org")
    assert other_host.json()["results"][0]["url"].startswith("http://mirror.example.org/")


def test_conditional_get_answers_304(client, world):
    first = client.get(API)
    assert first.status_code == 200
    etag = first["ETag"]
    assert client.get(API, HTTP_IF_NONE_MATCH=etag).status_code == 304
    detail = client.get(f"{API}{world[0].uuid}/")
    again = client.get(f"{API}{world[0].uuid}/", HTTP_IF_MODIFIED_SINCE=detail["Last-Modified"])
    assert again.status_code == 304


def test_cors_is_open_for_reads(client):
    response = client.get("/api/v1/goals/", HTTP_ORIGIN="https://partner.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    html = client.get("/goals/", HTTP_ORIGIN="https://partner.example")
    assert "Access-Control-Allow-Origin" not in html


@override_settings(API_RATES={"anon": "3/minute", "partner": "6/minute", "submissions": "2/hour"})
def test_anonymous_reads_are_limited_and_429_says_when_to_retry(client):
    for _ in range(3):
        assert client.get("/api/v1/goals/").status_code == 200
    limited = client.get("/api/v1/goals/")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "detail" in limited.json()


@override_settings(API_RATES={"anon": "3/minute", "partner": "6/minute", "submissions": "2/hour"})
def test_an_api_key_raises_the_limit(client, api_key):
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}"}
    codes = [client.get("/api/v1/goals/", **auth).status_code for _ in range(7)]
    assert codes == [200] * 6 + [429]


@override_settings(API_RATES={"anon": "3/minute", "partner": "6/minute", "submissions": "2/hour"})
def test_a_wrong_api_key_counts_as_anonymous(client):
    auth = {"HTTP_AUTHORIZATION": "Api-Key not.a-real-key"}
    codes = [client.get("/api/v1/goals/", **auth).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    spec = json.loads(schema.content)
    assert "/api/v1/initiatives/" in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/api/v1/initiatives/"]["get"]["parameters"]}
    assert {
        "q",
        "goal",
        "role",
        "group",
        "kind",
        "state",
        "near",
        "radius",
        "scope",
        "organization",
        "newcomers",
        "sort",
        "page",
        "page_size",
        "format",
    } <= params
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn." not in docs and "unpkg" not in docs


@pytest.mark.parametrize("size", ["0", "-5", "101", "lots"])
def test_an_out_of_range_page_size_is_a_400(client, size):
    response = client.get(f"{API}?page_size={size}")
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Choose a page size from 1 to 100."]}


def test_a_malformed_id_is_a_json_404(client):
    response = client.get(f"{API}%C2%84/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_ranked_api_list_counts_its_matches_once(client):
    """The relevance sort counts the matches (to know whether it may rank them); the paginator
    takes that count (``StandardPagination.paginate_queryset``) and runs no COUNT of its own."""
    from django.test.utils import CaptureQueriesContext

    for i in range(3):
        InitiativeFactory(title=f"Harbour clean-up {i}", summary="Volunteers clean the harbour.")
    with CaptureQueriesContext(connection) as captured:
        data = client.get(f"{API}?q=harbour").json()
    assert data["count"] == 3
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1, counts
