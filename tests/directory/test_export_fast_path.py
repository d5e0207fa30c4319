"""Exports skip DRF for speed (directory/api/exports/fastrows.py); these hold them equal to the serializers.

Every case compares the fast path with the serializer path on the same request, byte for byte for
CSV and GeoJSON and value by value for the dicts, so a field added to a serializer and forgotten
in the fast path fails here.
"""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from directory.api import listings
from directory.api.exports import fastrows
from directory.api.exports import streams as exports
from directory.api.exports.streams import serialized_rows
from directory.api.serializers import InitiativeSerializer, OrganizationSerializer
from directory.models import Initiative, Organization, SourceRecord
from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied():
    """Listings that exercise every kind of value: nulls, dates, links, hidden neighbours."""
    roles = list(Role.objects.order_by("number"))
    goals = list(Goal.objects.order_by("number"))
    network = OrganizationFactory(name="Alpha Network", is_network=True, email="a@example.org")
    hidden_network = OrganizationFactory(name="Hidden Network", is_network=True, status="pending")
    org = OrganizationFactory(
        name="Zeta Civic",
        postal_code="80302",
        roles=[roles[40], roles[2]],
        goals=[goals[5], goals[0]],
        languages=["es", "en"],
        website="https://zeta.example.org/",
        last_verified_at=timezone.now() - timedelta(days=3),
    )
    org.networks.set([network, hidden_network])
    org.founded_year = 1998
    org.save()
    OrganizationFactory(name="Unplaced", scope="online")
    circles = InitiativeFactory(
        organization=org,
        title="Listening circles",
        postal_code="80302",
        goals=[goals[3]],
        languages=["vi", "es"],
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 12, 31),
        get_involved="Come on a Tuesday.",
        get_involved_url="https://zeta.example.org/join",
        welcomes_newcomers=True,
    )
    # Link rows stored against the taxonomy's order (and a role whose number no longer follows
    # its id, as after a curator's renumbering): the output must still follow the numbers.
    Role.objects.filter(pk=roles[1].pk).update(number=99)
    for role in (roles[30], roles[10], roles[1]):
        Initiative.roles.through.objects.create(initiative=circles, role=role)
    # Sources: three on one initiative (newest first in every output; the same day in the
    # order they were recorded), one with no facts, one with text JSON must escape.
    SourceRecord.objects.create(
        initiative=circles,
        url="https://news.example.org/circles",
        publisher="News, Inc.",
        seen_on=date(2026, 11, 2),
        supports=["place", "programs"],
    )
    SourceRecord.objects.create(
        initiative=circles,
        url="https://zeta.example.org/about",
        title='The "About" page',
        seen_on=date(2026, 12, 1),
        supports=[],
    )
    SourceRecord.objects.create(
        initiative=circles,
        url="https://noticias.example.org/c%C3%ADrculos",
        title="Círculos \\ de escucha\tcon tabulador",
        publisher="Diario «Zeta»",
        seen_on=date(2026, 11, 2),
        supports=["programs"],
    )
    SourceRecord.objects.create(
        organization=org,
        url="https://zeta.example.org/",
        seen_on=date(2026, 12, 1),
        supports=["name", "website"],
    )
    InitiativeFactory(organization=org, title="=SUM(A1) formula-looking title", scope="national")
    InitiativeFactory(title="No place, no links", description='Quotes " and, commas\nnewline')
    InitiativeFactory(title="Of a hidden org", organization=hidden_network)
    # Values whose text differs most between writers: whole floats, whole-second times, a tab,
    # CR LF inside a cell, a leading minus, empty text (older rows may hold what forms refuse).
    edge = InitiativeFactory(title="Edges", postal_code="80302")
    Initiative.objects.filter(pk=edge.pk).update(
        latitude=40.0,
        longitude=-105.0,
        published_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        summary="-1 leading minus",
        description="Line one\r\nline two\tafter a tab",
        get_involved="\tstarts with a tab",
        get_involved_url="",
    )
    return org


def _plain(rows):
    return json.loads(json.dumps(list(rows), cls=DjangoJSONEncoder))


@pytest.mark.parametrize(
    ("model", "serializer_class"),
    [(Initiative, InitiativeSerializer), (Organization, OrganizationSerializer)],
)
def test_fast_rows_equal_the_serializer_rows(varied, model, serializer_class):
    request = RequestFactory().get("/api/v1/")
    queryset = model.objects.published().for_list().prefetch_related("sources").order_by("pk")
    if model is Organization:
        queryset = listings.OrganizationViewSet(request=request).get_queryset().order_by("pk")
    slow = _plain(serialized_rows(queryset, serializer_class, {"request": request}))
    fast = _plain(fastrows.fast_rows(queryset, serializer_class, request))
    assert len(fast) == len(slow) >= 4
    for a, b in zip(fast, slow, strict=True):
        assert list(a) == list(b)  # the same keys in the same order
        assert a == b


def test_fast_rows_read_in_constant_queries_per_chunk(varied, django_assert_max_num_queries):
    request = RequestFactory().get("/api/v1/")
    queryset = Initiative.objects.published().order_by("pk")
    # SQLite: the rows + 3 link tables and the sources per chunk of 2,000, whatever the row
    # count (the taxonomy comes from the process's snapshot: read once); PostgreSQL: the rows
    # carry their links and sources, in a savepoint pair around the streaming cursor.
    from directory.search.taxonomy import taxonomy

    taxonomy()
    with django_assert_max_num_queries(3 if connection.vendor == "postgresql" else 5):
        assert len(list(fastrows.fast_rows(queryset, InitiativeSerializer, request))) == 4


def _export(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/initiatives/?format=csv",
        "/api/v1/initiatives/?format=geojson",
        "/api/v1/initiatives/?format=csv&near=80302&radius=50",
        "/api/v1/initiatives/?format=csv&near=80302&radius=50&national=true&sort=distance",
        "/api/v1/initiatives/?format=csv&q=circles",
        "/api/v1/initiatives/?format=csv&language=es&lang=es",
        "/api/v1/organizations/?format=csv",
        "/api/v1/organizations/?format=geojson&sort=name",
    ],
)
def test_exports_are_byte_for_byte_the_serializer_exports(client, varied, monkeypatch, url):
    copied = []
    real_stream = listings.copycsv.csv_stream
    monkeypatch.setattr(
        listings.copycsv, "csv_stream", lambda *args: copied.append(1) or real_stream(*args)
    )
    fastest = _export(client, url)  # CSV of initiatives on PostgreSQL: written by COPY
    on_copy = connection.vendor == "postgresql" and "initiatives/?format=csv" in url
    assert copied == ([1] if on_copy else [])
    monkeypatch.setattr(listings.copycsv, "supports", lambda *args: False)
    fast = _export(client, url)
    monkeypatch.setattr(listings, "supports", lambda *args: False)
    slow = _export(client, url)
    assert fast == slow
    assert fastest == slow
    assert len(fast) > 200


def test_csv_export_keeps_formula_cells_neutralised_on_the_fast_path(client, varied):
    body = _export(client, "/api/v1/initiatives/?format=csv").decode()
    titles = [row["title"] for row in csv.DictReader(io.StringIO(body))]
    assert "'=SUM(A1) formula-looking title" in titles
    assert "Of a hidden org" not in titles  # its organization is not published


def test_change_feed_objects_are_the_list_endpoints_objects(client, varied):
    feed = client.get("/api/v1/changes/?limit=500").json()["results"]
    listed = {
        "initiative": client.get("/api/v1/initiatives/?page_size=100").json()["results"],
        "organization": client.get("/api/v1/organizations/?page_size=100").json()["results"],
    }
    by_id = {(kind, row["id"]): row for kind, rows in listed.items() for row in rows}
    upserts = [item for item in feed if "object" in item and item["type"] in listed]
    assert len(upserts) == len(by_id) >= 6
    for item in upserts:
        assert item["object"] == by_id[(item["type"], item["id"])]


def test_an_export_left_early_leaves_the_connection_usable(varied, monkeypatch):
    """A reader who disconnects mid-export closes the stream; the connection serves on.

    On PostgreSQL psycopg then cancels the running COPY, which fails the statement."""
    monkeypatch.setattr(listings.copycsv, "PIECE", 1)  # a piece per row
    monkeypatch.setattr(exports, "BATCH", 1)
    request = RequestFactory().get("/api/v1/initiatives/?format=csv")
    queryset = Initiative.objects.published().for_list().order_by("pk")
    if connection.vendor == "postgresql":
        stream = listings.copycsv.csv_stream(queryset, InitiativeSerializer, request)
    else:
        stream = exports.csv_stream(fastrows.fast_rows(queryset, InitiativeSerializer, request))
    first = next(stream)
    assert (first if isinstance(first, str) else first.decode()).startswith("id,slug,url,title,")
    stream.close()  # what the server does when the client goes away (through response.close)
    assert Initiative.objects.filter(title="Edges").count() == 1


def test_a_copy_export_outlasts_the_deployments_statement_timeout(client, varied):
    """The whole export is one statement on PostgreSQL; a statement_timeout must not cut it.

    Each row here sorts by a 50 ms sleep, so the COPY takes longer than the 100 ms limit."""
    request = RequestFactory().get("/api/v1/initiatives/?format=csv")
    queryset = Initiative.objects.published().for_list()
    if connection.vendor != "postgresql":
        assert not listings.copycsv.supports(queryset, InitiativeSerializer, "csv")  # no COPY here
        return
    from django.db.models import TextField
    from django.db.models.expressions import RawSQL

    slow = queryset.annotate(nap=RawSQL("pg_sleep(0.05)::text", [], output_field=TextField()))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '100ms'")
    body = b"".join(
        listings.copycsv.csv_stream(slow.order_by("nap", "pk"), InitiativeSerializer, request)
    )
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert len(rows) == 1 + queryset.count() >= 5  # the header and every row


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/initiatives/",
        "/api/v1/initiatives/?page_size=2&page=2",
        "/api/v1/initiatives/?near=80302&radius=50&include_national=true",
        "/api/v1/initiatives/?q=circles",
        "/api/v1/initiatives/?state=CO&sort=name",
        "/api/v1/initiatives/?lang=es",
        "/api/v1/organizations/",
        "/api/v1/organizations/?near=80302&sort=distance",
    ],
)
def test_api_list_pages_from_plain_rows_equal_the_serializers_pages(
    client, varied, monkeypatch, url
):
    """The API's JSON lists are built from plain rows (``ListingViewSet._page_of_rows``); the
    same request through DRF's serializers answers the same JSON, key for key, in order."""
    from django.core.cache import cache

    fast = client.get(url)
    assert fast.status_code == 200, fast.content[:300]
    cache.clear()  # the API caches answers: ask again, through the serializers
    monkeypatch.setattr(listings, "supports", lambda queryset, serializer_class: False)
    slow = client.get(url)
    assert slow.status_code == 200
    assert fast.json()["results"], url  # every case has rows to compare
    assert json.dumps(fast.json()) == json.dumps(slow.json())
    assert fast.headers.get("X-Relevance-Ranking") == slow.headers.get("X-Relevance-Ranking")


def test_api_details_from_plain_rows_equal_the_serializers_details(client, varied, monkeypatch):
    """An API detail is built from a plain row (``ListingViewSet._one_from_row``); the same
    request through DRF's serializer answers the same JSON, key for key, in order. A hidden
    listing's id is a 404 on both paths."""
    from django.core.cache import cache

    urls = [f"/api/v1/initiatives/{i.uuid}/" for i in Initiative.objects.published()]
    urls += [f"/api/v1/organizations/{o.uuid}/" for o in Organization.objects.published()]
    assert len(urls) >= 5
    built = []  # every detail came from a plain row, not from the serializer's path
    monkeypatch.setattr(
        listings,
        "fast_rows",
        lambda *args, **kwargs: built.append(1) or fastrows.fast_rows(*args, **kwargs),
    )
    fast = {url: client.get(url) for url in urls}
    assert len(built) == len(urls)
    hidden = Organization.objects.exclude(status="published").first()
    missing = client.get(f"/api/v1/organizations/{hidden.uuid}/")
    cache.clear()
    monkeypatch.setattr(listings, "supports", lambda queryset, serializer_class: False)
    for url, answer in fast.items():
        slow = client.get(url)
        assert answer.status_code == slow.status_code == 200, url
        assert json.dumps(answer.json()) == json.dumps(slow.json()), url
    assert missing.status_code == 404
    assert missing.json() == client.get(f"/api/v1/organizations/{hidden.uuid}/").json()
