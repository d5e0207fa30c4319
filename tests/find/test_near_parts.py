"""A list sorted by distance from a ZIP code reads its matches as two parts (the work within
reach, and the statewide work of the ZIP's state beyond it: ``ListingQuerySet.near_parts``),
each from an index that holds the place and the title on PostgreSQL (migration 0032). These
hold the parts' union equal to the one condition ``near`` writes (each match once, the same
distances, order and count) on both databases, and check the plan on PostgreSQL."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from directory.models import Initiative
from directory.search.geo import lookup_zip
from goals.models import Goal
from tests.factories import InitiativeFactory, OrganizationFactory
from tests.find.test_array_walk import plan_without

pytestmark = pytest.mark.django_db

BOULDER = "80302"


@pytest.fixture
def places():
    goal = Goal.objects.order_by("number").first()
    InitiativeFactory(title="Boulder local", postal_code=BOULDER, goals=[goal])
    InitiativeFactory(title="Denver local", postal_code="80202")
    InitiativeFactory(title="Fort Collins local", postal_code="80521")  # beyond 30 miles
    # Statewide work of Colorado: within reach (in both conditions), beyond it, with no place.
    InitiativeFactory(title="Statewide in Denver", scope="state", postal_code="80202", goals=[goal])
    InitiativeFactory(title="Statewide far west", scope="state", postal_code="81501")
    InitiativeFactory(title="Statewide nowhere", scope="state", state="CO", postal_code="", city="")
    near_corner = InitiativeFactory(title="Statewide in the corner", scope="state", goals=[goal])
    no_longitude = InitiativeFactory(title="Statewide half placed", scope="state")
    InitiativeFactory(title="Wyoming statewide", scope="state", postal_code="82001")
    InitiativeFactory(
        title="Hidden statewide", scope="state", postal_code="80202", status="pending"
    )
    boulder = lookup_zip(BOULDER)
    # Inside the 30 miles' bounding box but beyond 30 miles (about 38): a distance, no match
    # but as statewide work.
    Initiative.objects.filter(pk=near_corner.pk).update(
        state="CO", latitude=boulder.latitude + 0.4, longitude=boulder.longitude + 0.5
    )
    Initiative.objects.filter(pk=no_longitude.pk).update(
        state="CO", latitude=boulder.latitude, longitude=None
    )
    return goal


def is_union(sql: str) -> bool:
    """The facets' first statement, reading the parts' keys as one union."""
    return sql.startswith("SELECT m.*") and " UNION ALL " in sql.split(" m ORDER BY ")[0]


@pytest.fixture
def national(places):
    """National and online work: within reach, in the box beyond reach, far away, with no
    place, with half a place, and hidden; with the places' Colorado work around them."""
    boulder = lookup_zip(BOULDER)
    InitiativeFactory(title="National in Boulder", scope="national", postal_code=BOULDER)
    InitiativeFactory(title="National in New York", scope="national", postal_code="10001")
    InitiativeFactory(title="Online nowhere", scope="online", postal_code="", city="")
    InitiativeFactory(title="national lower case", scope="national", postal_code="", city="")
    InitiativeFactory(
        title="Hidden national", scope="national", postal_code=BOULDER, status="pending"
    )
    corner = InitiativeFactory(title="National in the corner", scope="national", goals=[places])
    half = InitiativeFactory(title="Online half placed", scope="online", goals=[places])
    Initiative.objects.filter(pk=corner.pk).update(
        latitude=boulder.latitude + 0.4, longitude=boulder.longitude + 0.5
    )
    Initiative.objects.filter(pk=half.pk).update(latitude=boulder.latitude, longitude=None)
    return places


def one_condition(query: dict) -> list[tuple[str, float | None]]:
    """The matches as ``near``'s one condition gives them, sorted as the list sorts them."""
    wide = query.get("include_national") == "true"
    rows = Initiative.objects.published().near(lookup_zip(BOULDER), 30.0, include_national=wide)
    if "goal" in query:
        rows = rows.filter(goals__slug=query["goal"])
    if "state" in query:
        rows = rows.filter(state=query["state"])
    order = [F("distance").asc(nulls_last=True), "title", "pk"]
    return [
        (t, None if d is None else round(d, 6))
        for t, d in rows.order_by(*order).values_list("title", "distance")
    ]


def plan_with_only(sql: str, kept: list[str]) -> str:
    """PostgreSQL's plan for ``sql`` with every other index a part could walk dropped (not the
    unique ones; the test's transaction puts them back): on a few rows the planner may prefer
    them."""
    with connection.cursor() as db:
        db.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'directory_initiative'"
            " AND NOT indexname = ANY(%s) AND indexdef NOT LIKE 'CREATE UNIQUE INDEX%%'",
            [kept],
        )
        others = [row[0] for row in db.fetchall()]
    return plan_without(sql, others)


def listed(client, query: dict) -> tuple:
    """The list for ``query`` (one page of all), its (title, distance) rows as ``one_condition``
    gives them, and the facets' union statements it ran, the cache emptied first."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/initiatives/", {**query, "page_size": 100})
    assert response.status_code == 200
    shown = [
        (obj.title, None if obj.distance is None else round(obj.distance, 6))
        for obj in response.context["object_list"]
    ]
    union = [q["sql"] for q in queries.captured_queries if is_union(q["sql"])]
    return response, shown, union


@pytest.mark.parametrize("extra", [(), ("goal",), ("goal", "state")], ids=["near", "goal", "state"])
def test_the_two_parts_give_each_match_once_as_the_one_condition_does(client, places, extra):
    """The union's matches, distances, order and count are the one condition's: statewide work
    within reach once, in the box beyond reach with its distance, with no place or half a place
    without one; a hidden one never. With a goal, and a state too, the link filters stay on the
    link tables (a place finds its rows by its own indexes)."""
    query = {"near": BOULDER, "radius": "30"}
    query.update(
        {key: value for key, value in [("goal", places.slug), ("state", "CO")] if key in extra}
    )
    expected = one_condition(query)
    titles = [title for title, _ in expected]
    assert "Statewide in Denver" in titles and "Statewide in the corner" in titles
    assert len(set(titles)) == len(titles) >= 3
    response, shown, union = listed(client, query)
    assert shown == expected
    assert response.context["paginator"].count == len(expected)
    assert response.context["filter"].ordered_ids is not None  # read from the parts' keys
    assert len(union) == 1, union
    assert " && " not in union[0]


def test_each_part_is_read_from_its_own_index_alone(client, places):
    """PostgreSQL: the work within reach from the index of places, the statewide work from the
    index of statewide work, neither reading a row (the other indexes a part could walk are
    dropped inside the test's transaction: on a few rows the planner may prefer them)."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get("/initiatives/", {"near": BOULDER, "radius": "30"})
    union = [q["sql"] for q in queries.captured_queries if is_union(q["sql"])]
    if connection.vendor != "postgresql":
        assert len(union) == 1  # SQLite reads the same union, without those indexes
        return
    plan = plan_with_only(union[0], ["ini_visible_place_cell", "ini_visible_statewide"])
    assert "Index Only Scan using ini_visible_place_cell" in plan, plan
    assert "Index Only Scan using ini_visible_statewide" in plan, plan


def test_organizations_near_a_zip_keep_one_statement(client):
    """The parts are read for initiatives only (the place indexes are theirs, and an event's
    dates would be looked up again): organizations near a ZIP code read their matches in one
    statement, statewide work of the state included."""
    OrganizationFactory(name="Colorado statewide", scope="state", state="CO", postal_code="")
    OrganizationFactory(name="Boulder local", postal_code=BOULDER)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/organizations/", {"near": BOULDER, "radius": "30"})
    assert response.status_code == 200
    shown = [obj.name for obj in response.context["object_list"]]
    assert shown == ["Boulder local", "Colorado statewide"]
    sorting = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT m.*")]
    assert sorting and not any(is_union(sql) for sql in sorting)


def test_the_box_holds_its_edges():
    """``near``'s box around the circle holds a place on its corner and not one just past it:
    statewide work of the state there has its distance given in the first case only."""
    from directory.search.geo import bounding_box

    boulder = lookup_zip(BOULDER)
    min_lat, max_lat, min_lon, max_lon = bounding_box(boulder.latitude, boulder.longitude, 30)
    places = {
        "On the corner": (max_lat, max_lon),
        "On the far corner": (min_lat, min_lon),
        "Just past the corner": (max_lat + 1e-6, max_lon),
        "Just past the west side": (boulder.latitude, min_lon - 1e-6),
    }
    for title, (lat, lon) in places.items():
        listing = InitiativeFactory(title=title, scope="state")
        Initiative.objects.filter(pk=listing.pk).update(state="CO", latitude=lat, longitude=lon)
    found = dict(
        Initiative.objects.published()
        .near(boulder, 30)
        .filter(title__in=places)
        .values_list("title", "distance")
    )
    assert set(found) == set(places)  # statewide work of the state: all four match
    assert {title for title, distance in found.items() if distance is not None} == {
        "On the corner",
        "On the far corner",
    }


@pytest.mark.parametrize(
    ("west", "east", "cells"),
    [
        (-105.84, -104.70, [-106.0, -105.0]),  # floor, not truncation: -105.84 is in -106
        (-105.0, -104.0, [-105.0, -104.0]),  # a whole degree on each side: both cells
        (-0.5, 0.5, [-1.0, 0.0]),
        (10.2, 10.7, [10.0]),
    ],
)
def test_the_box_names_every_whole_degree_of_longitude_it_spans(west, east, cells):
    """``in_cells``: the cells (whole degrees of longitude) the place index is ordered by
    (migration 0035), from the box's west side to its east side, both included."""
    from directory.querysets import in_cells

    assert in_cells(west, east).rhs == cells


def test_work_on_either_side_of_a_whole_degree_of_longitude_is_within_reach(client):
    """A search near a ZIP code names the box's cells, which must change no answer: work on a
    whole degree of longitude, just west of it, and in the box's westernmost cell is found, on
    both databases; a place beyond reach is not."""
    boulder = lookup_zip(BOULDER)  # longitude about -105.27: the box spans cells -106 and -105
    places = {
        "On the degree": -105.0,
        "Just west of the degree": -105.0 - 1e-7,
        "West of Boulder": boulder.longitude - 0.2,
        "Far west": -106.0,  # about 38 miles: beyond 30
    }
    for title, longitude in places.items():
        listing = InitiativeFactory(title=title)
        Initiative.objects.filter(pk=listing.pk).update(
            state="CO", latitude=boulder.latitude, longitude=longitude
        )
    cache.clear()
    response = client.get("/initiatives/", {"near": BOULDER, "radius": "30"})
    assert response.status_code == 200
    shown = {obj.title for obj in response.context["object_list"]}
    assert shown == {"On the degree", "Just west of the degree", "West of Boulder"}


def test_a_list_by_distance_keeps_its_nearest_in_a_bounded_sort(client, monkeypatch):
    """The facets' statement for a list by distance sorts the matches and keeps the first
    FACET_CAP + 1 (``ScanOrder.ordering``), instead of sorting and counting every match: the
    kept keys are the nearest, in the list's order, even when more match; the total is counted
    to the facets' cap (the page says "more than"), and every page is still the list's."""
    import directory.search.facets

    boulder = lookup_zip(BOULDER)
    titles = []
    for i in range(6):  # 0.02° of longitude apart: about a mile each, nearest first
        listing = InitiativeFactory(title=f"Place {'FEDCBA'[i]}")
        Initiative.objects.filter(pk=listing.pk).update(
            state="CO", latitude=boulder.latitude, longitude=boulder.longitude + 0.02 * (i + 1)
        )
        titles.append(listing.title)
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 2)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/initiatives/", {"near": BOULDER, "radius": "30", "page_size": 1})
    assert response.status_code == 200
    found = response.context["filter"]
    assert (found.match_count, found.counted_to) == (3, 2)  # counted to the cap, not to 6
    kept = list(Initiative.objects.filter(pk__in=found.ordered_ids).values_list("pk", "title"))
    by_key = dict(kept)
    assert [by_key[pk] for pk in found.ordered_ids] == titles[:3]  # the nearest three, in order
    assert response.context["paginator"].capped
    assert [obj.title for obj in response.context["object_list"]] == titles[:1]
    union = [q["sql"] for q in queries.captured_queries if is_union(q["sql"])]
    assert len(union) == 1
    inner = union[0].split(" m ORDER BY ")[0]
    assert " ORDER BY " in inner and " LIMIT 3" in inner  # sorted, then the first three kept
    for number in range(1, 7):  # every page, among the kept keys and past them
        cache.clear()
        page = client.get(
            "/initiatives/", {"near": BOULDER, "radius": "30", "page_size": 1, "page": number}
        )
        assert [obj.title for obj in page.context["object_list"]] == titles[number - 1 : number]


@pytest.mark.parametrize("extra", [(), ("goal",)], ids=["near", "goal"])
def test_with_national_work_the_parts_give_each_match_once_as_the_one_condition_does(
    client, national, extra
):
    """With national work: its three parts (``near_parts``) give the one condition's matches,
    distances and order, each once: national work within reach by its distance, in the box
    beyond reach with its distance, and beyond the box, with no place or half a place, by
    name after everything with a distance; hidden work never. The first keys kept in order
    are the list's first (``ordered_ids``)."""
    query = {"near": BOULDER, "radius": "30", "include_national": "true"}
    if "goal" in extra:
        query["goal"] = national.slug
    expected = one_condition(query)
    titles = [title for title, _ in expected]
    assert len(set(titles)) == len(titles)
    assert "Hidden national" not in titles
    if not extra:  # far away, with no place: beyond the box, by name
        assert {"National in New York", "Online nowhere", "national lower case"} <= set(titles)
    assert "National in the corner" in titles and "Online half placed" in titles
    response, shown, union = listed(client, query)
    assert shown == expected
    assert response.context["paginator"].count == len(expected)
    assert len(union) == 1 and union[0].count(" UNION ALL ") == 2  # three parts
    found = response.context["filter"]
    by_key = dict(Initiative.objects.filter(pk__in=found.ordered_ids).values_list("pk", "title"))
    assert [by_key[pk] for pk in found.ordered_ids] == titles


def test_national_work_beyond_the_box_is_read_in_name_order_from_its_index(client, national):
    """PostgreSQL: the part of national work beyond the box is read from its index by name
    (migration 0036) and stops at the first FACET_CAP + 1 (a ``Limit`` over the index scan),
    instead of reading every national listing to sort them; national work in the box is read
    with the work within reach from the index of places, which carries the scope."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get("/initiatives/", {"near": BOULDER, "radius": "30", "include_national": "true"})
    union = [q["sql"] for q in queries.captured_queries if is_union(q["sql"])]
    assert len(union) == 1
    if connection.vendor != "postgresql":
        # SQLite takes no LIMIT inside a part of a union: one sort of them all, then the limit
        assert union[0].split(" m ORDER BY ")[0].count(" LIMIT ") == 1
        return
    plan = plan_with_only(
        union[0], ["ini_visible_place_cell", "ini_visible_statewide", "ini_visible_wide_title"]
    )
    assert "Index Only Scan using ini_visible_wide_title" in plan, plan
    assert "Index Only Scan using ini_visible_place_cell" in plan, plan
    assert plan.count("Limit") >= 3, plan  # the part beyond the box, the union, the statement


def test_national_work_beyond_the_box_keeps_its_first_by_name_when_more_match(
    client, national, monkeypatch
):
    """More national work beyond the box than the facets' statement keeps (FACET_CAP + 1:
    every match with a distance and two more): the part stops at its first by name (then
    key), and the keys kept are the list's
    first, with statewide work with no place sorted among them by name; every page of one,
    among the kept keys and past them, is the list's."""
    import directory.search.facets

    # More than the part keeps; the first by name created last: the keys do not sort them.
    extra = [f"{word} national" for word in ("Zulu", "Yankee", "X-ray", "Whiskey", "Victor")]
    extra += ["Uniform national", "Tango national", "Sierra national", "Bravo", "Alpha"]
    for title in extra:
        InitiativeFactory(title=title, scope="national", postal_code="", city="")
    query = {"near": BOULDER, "radius": "30", "include_national": "true"}
    rows = one_condition(query)
    expected = [title for title, _ in rows]
    placed = sum(distance is not None for _, distance in rows)
    # Keep every match with a distance and the first two without: into the last part's own.
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", placed + 1)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/initiatives/", {**query, "page_size": 1})
    found = response.context["filter"]
    by_key = dict(Initiative.objects.filter(pk__in=found.ordered_ids).values_list("pk", "title"))
    assert [by_key[pk] for pk in found.ordered_ids] == expected[: placed + 2]
    union = [q["sql"] for q in queries.captured_queries if is_union(q["sql"])]
    if connection.vendor == "postgresql":  # the last part sorted by name, then cut
        last = union[0].split(" UNION ALL ")[-1]
        cut = f" LIMIT {placed + 2}"
        assert " ORDER BY " in last and last.index(" ORDER BY ") < last.index(cut)
    unplaced = [t for t in expected if t in extra or t in ("Statewide nowhere", "Online nowhere")]
    assert unplaced == sorted(unplaced, key=str)  # by name, among themselves
    for number in range(1, len(expected) + 1):
        cache.clear()
        page = client.get("/initiatives/", {**query, "page_size": 1, "page": number})
        assert [obj.title for obj in page.context["object_list"]] == expected[number - 1 : number]
