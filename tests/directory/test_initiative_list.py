"""The initiatives list: every filter alone and combined, near-ZIP, ranking, pagination, errors."""

import json
import re

import pytest
from django.core.cache import cache
from django.db import connection

from directory.models import Initiative
from goals.models import Goal
from roles.models import Role
from tests.factories import EventFactory, InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

URL = "/initiatives/"


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()[:2000]
    return [obj.title for obj in response.context["object_list"]]


@pytest.fixture
def world():
    """Four initiatives in different places with different roles, goals and scopes."""
    role = {r.slug: r for r in Role.objects.all()}
    goal = {g.slug: g for g in Goal.objects.all()}
    braver = OrganizationFactory(name="Front Range Dialogue", slug="front-range-dialogue")
    return {
        "boulder": InitiativeFactory(
            title="Boulder listening circles",
            postal_code="80302",
            organization=braver,
            roles=[role["bridge-builders"]],
            goals=[goal["compromise"]],
            welcomes_newcomers=True,
            summary="Neighbors who disagree meet monthly.",
        ),
        "denver": InitiativeFactory(
            title="Denver poll worker drive",
            postal_code="80202",
            organization=braver,
            roles=[role["civic-participants"]],
            goals=[goal["electoral-integrity"]],
            summary="Recruits election workers.",
        ),
        "chicago": InitiativeFactory(
            title="Chicago mediation clinic",
            postal_code="60601",
            roles=[role["mediators"]],
            goals=[goal["compromise"], goal["reconciliation"]],
            welcomes_newcomers=True,
            summary="Free community mediation.",
        ),
        "national": InitiativeFactory(
            title="National fact-check network",
            scope="national",
            roles=[role["disinformation-fighters"], role["governmental-watchdogs"]],
            goals=[goal["bad-faith-actors"]],
            summary="Checks claims nationwide.",
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("goal=compromise", {"boulder", "chicago"}),
        ("goal=compromise&goal=bad-faith-actors", {"boulder", "chicago", "national"}),
        ("role=mediators", {"chicago"}),
        ("role=bridge-builders&role=civic-participants", {"boulder", "denver"}),
        ("group=power-balancers", {"denver"}),
        ("group=lookouts", {"national"}),
        ("kind=strategist", {"national"}),
        ("kind=actor", {"boulder", "denver", "chicago", "national"}),
        ("state=CO", {"boulder", "denver"}),
        ("state=co&state=IL", {"boulder", "denver", "chicago"}),
        ("scope=national", {"national"}),
        ("scope=local", {"boulder", "denver", "chicago"}),
        ("organization=front-range-dialogue", {"boulder", "denver"}),
        ("newcomers=true", {"boulder", "chicago"}),
        ("newcomers=false", {"denver", "national"}),
        ("q=mediation", {"chicago"}),
        ("q=poll+worker", {"denver"}),
        ("near=80302&radius=30", {"boulder", "denver"}),
        ("near=80302&radius=30&include_national=true", {"boulder", "denver", "national"}),
        ("near=60601", {"chicago"}),
        ("goal=compromise&state=CO", {"boulder"}),
        ("near=80302&radius=30&role=civic-participants", {"denver"}),
        ("q=mediation&newcomers=true", {"chicago"}),
        ("group=constructive-communicators&scope=local&goal=compromise", {"boulder"}),
        ("kind=strategist&state=CO", set()),
    ],
)
def test_filters_alone_and_combined(client, world, query, expected):
    found = titles(client.get(f"{URL}?{query}"))
    assert set(found) == {world[key].title for key in expected}
    assert len(found) == len(set(found)), "a row appears twice"


def test_near_boulder_finds_denver_within_30_miles_and_not_chicago(client, world):
    response = client.get(f"{URL}?near=80302&radius=30")
    rows = list(response.context["object_list"])
    assert [r.title for r in rows] == ["Boulder listening circles", "Denver poll worker drive"]
    boulder, denver = rows
    assert boulder.distance < 2
    assert 20 < denver.distance < 30
    assert "mi away" in response.content.decode()


def test_a_smaller_radius_leaves_denver_out(client, world):
    assert titles(client.get(f"{URL}?near=80302&radius=10")) == ["Boulder listening circles"]


def test_a_500_mile_radius_from_boulder_still_excludes_chicago(client, world):
    found = titles(client.get(f"{URL}?near=80302&radius=500"))
    assert "Chicago mediation clinic" not in found  # about 920 miles away


def test_near_sorts_by_distance_by_default_and_national_work_comes_last(client, world):
    found = titles(client.get(f"{URL}?near=60601&radius=500&include_national=true"))
    assert found == ["Chicago mediation clinic", "National fact-check network"]


def test_search_ranks_title_matches_above_summary_and_description_matches(client):
    InitiativeFactory(title="Library programme", summary="Bridging talks.", description="x")
    InitiativeFactory(title="Bridging the divide", summary="Talks.", description="y")
    InitiativeFactory(title="Park clean-up", summary="Cleaning.", description="Bridging work.")
    found = titles(client.get(f"{URL}?q=bridging"))
    assert found == ["Bridging the divide", "Library programme", "Park clean-up"]


def test_search_matches_the_organization_name(client):
    org = OrganizationFactory(name="Riverside Peacemakers")
    InitiativeFactory(organization=org, title="Summer forum")
    InitiativeFactory(title="Unrelated")
    assert titles(client.get(f"{URL}?q=peacemakers")) == ["Summer forum"]


def test_search_finds_nothing_for_a_word_nobody_used(client, world):
    response = client.get(f"{URL}?q=zeppelin")
    assert titles(response) == []
    assert "No initiatives match yet" in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Alpha", "Bravo", "Charlie"]),
        ("newest", ["Bravo", "Charlie", "Alpha"]),
    ],
)
def test_sort_orders(client, sort, expected):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    InitiativeFactory(title="Charlie", published_at=now - timedelta(days=1))
    InitiativeFactory(title="Alpha", published_at=now - timedelta(days=2))
    InitiativeFactory(title="Bravo", published_at=now)
    assert titles(client.get(f"{URL}?sort={sort}")) == expected


def test_pagination_keeps_the_filters(client):
    goal = Goal.objects.get(slug="reconciliation")
    for i in range(25):
        InitiativeFactory(title=f"Match {i:02}", goals=[goal])
    InitiativeFactory.create_batch(5, title="Other")
    response = client.get(f"{URL}?goal=reconciliation&sort=name&page_size=10")
    assert response.context["paginator"].count == 25
    assert response.context["paginator"].num_pages == 3
    html = response.content.decode()
    assert 'href="?goal=reconciliation&amp;sort=name&amp;page_size=10&amp;page=2"' in html
    third = client.get(f"{URL}?goal=reconciliation&sort=name&page_size=10&page=3")
    assert titles(third) == [f"Match {i:02}" for i in range(20, 25)]


def test_page_size_is_capped_at_100(client):
    InitiativeFactory.create_batch(3)
    response = client.get(f"{URL}?page_size=100000")
    assert response.context["paginator"].per_page == 100


@pytest.mark.parametrize("page", ["abc", "-1", "999"])
def test_odd_page_numbers_fall_back_to_a_real_page(client, world, page):
    response = client.get(f"{URL}?page={page}")
    assert response.status_code == 200
    assert len(titles(response)) >= 1


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("near=abc", "near", "is not a 5-digit ZIP code"),
        ("near=00000", "near", "We don’t know the ZIP code 00000"),
        ("near=80302&radius=0", "radius", "from 1 to 500 miles"),
        ("near=80302&radius=501", "radius", "from 1 to 500 miles"),
        ("near=80302&radius=far", "radius", "Enter a number"),
        ("radius=50", "near", "Enter a ZIP code to search within a radius"),
        ("goal=world-peace", "goal", "There is no goal “world-peace”"),
        ("role=astronauts", "role", "There is no role “astronauts”"),
        ("group=zz", "group", "There is no role group “zz”"),
        ("state=XX", "state", "“XX” is not a U.S. state code"),
        ("scope=galactic", "scope", "galactic"),
        ("kind=wizard", "kind", "wizard"),
        ("sort=distance", "sort", "needs a ZIP code"),
        ("organization=nobody", "organization", "There is no published organization “nobody”"),
        ("updated_since=yesterday", "updated_since", "Enter a valid date/time"),
    ],
)
def test_bad_parameters_get_a_clear_message_not_an_error(client, query, field, message):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert field in response.context["errors"]
    html = response.content.decode()
    assert message in html.replace("&amp;", "&").replace("&#x27;", "'")
    assert 'class="error-summary"' in html


def test_the_form_keeps_what_the_user_typed(client, world):
    html = client.get(f"{URL}?q=circles&near=80302&radius=50").content.decode()
    assert 'name="q" value="circles"' in html
    assert 'name="near" value="80302"' in html
    assert '<option value="50" selected>' in html


def test_active_filters_show_as_removable_chips(client, world):
    response = client.get(f"{URL}?goal=compromise&state=CO&near=80302")
    chips = {chip["label"]: chip["url"] for chip in response.context["chips"]}
    assert chips["Goal: Cultivate Compromise"] == "?state=CO&near=80302"
    assert chips["State: Colorado"] == "?goal=compromise&near=80302"
    assert chips["Within 25 miles of 80302"] == "?goal=compromise&state=CO"


def test_facet_counts_apply_the_other_filters(client, world):
    response = client.get(f"{URL}?goal=compromise&state=CO")
    goals = {o.value: o for o in response.context["facets"]["goal"]}
    # Within Colorado: one initiative on compromise, one on electoral integrity.
    assert goals["compromise"].count == 1 and goals["compromise"].selected
    assert goals["electoral-integrity"].count == 1
    assert goals["reconciliation"].count == 0
    states = {o.value: o.count for o in response.context["facets"]["state"]}
    assert states == {"CO": 1, "IL": 1}  # compromise work by state
    scopes = {o.value: o.count for o in response.context["facets"]["scope"]}
    assert scopes["local"] == 1


def test_list_query_count_is_the_same_for_5_and_50_rows(client, django_assert_num_queries):
    roles = list(Role.objects.all()[:3])
    goals = list(Goal.objects.all()[:2])
    for _ in range(60):
        InitiativeFactory(roles=roles, goals=goals, postal_code="80302")
    for size in (5, 50):
        cache.clear()  # cold: counts and facets computed afresh (and the taxonomy read again)
        # The facets read every match's key (60): the page is read among them, keys first.
        # PostgreSQL reads the page's terms with its rows (the arrays on each initiative's row):
        # one statement fewer.
        with django_assert_num_queries(9 - (connection.vendor == "postgresql")):
            response = client.get(f"{URL}?page_size={size}")
        assert len(response.context["object_list"]) == size


def test_counts_and_facets_are_cached_until_a_listing_changes(client, django_assert_num_queries):
    goal = Goal.objects.get(slug="compromise")
    for _ in range(3):
        InitiativeFactory(goals=[goal], postal_code="80302")
    first = client.get(f"{URL}?state=CO")
    assert first.context["paginator"].count == 3
    # Warm: the whole results region (counts, facets, cards) comes from the cache: no query.
    with django_assert_num_queries(0):
        again = client.get(f"{URL}?state=CO")
    assert again.content.count(b'class="card"') == first.content.count(b'class="card"') == 3
    assert "3 initiatives" in again.content.decode()
    # Any change to a listing invalidates every cached count at once.
    InitiativeFactory(goals=[goal], postal_code="80302")
    after = client.get(f"{URL}?state=CO")
    assert after.context["paginator"].count == 4
    assert "4 initiatives" in after.content.decode()
    goals = {o.value: o.count for o in after.context["facets"]["goal"]}
    assert goals["compromise"] == 4
    archived = Initiative.objects.filter(state="CO").first()
    archived.status = "archived"
    archived.save()
    assert "3 initiatives" in client.get(f"{URL}?state=CO").content.decode()


def test_counts_stop_at_the_cap_and_say_so(client, monkeypatch):
    from directory.search.pagination import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 4)
    for _ in range(6):
        InitiativeFactory(postal_code="80302")
    response = client.get(f"{URL}?page_size=2")
    paginator = response.context["paginator"]
    assert (paginator.count, paginator.capped, paginator.num_pages) == (4, True, 2)
    html = response.content.decode()
    assert "More than 4 results" in html and "Page 1 of more than 2" in html
    # The paginator's own cap: pages stop there, and the page says so.
    assert not paginator.more_beyond and "Pages stop after the first 4" in html
    api = client.get("/api/v1/initiatives/?page_size=2").json()
    assert (api["count"], api["count_capped"]) == (4, True)
    exact = client.get("/api/v1/initiatives/?page_size=2&state=IL").json()
    assert (exact["count"], exact["count_capped"]) == (0, False)


def test_filtered_list_query_count_is_fixed(client, world, django_assert_num_queries):
    with django_assert_num_queries(10 - (connection.vendor == "postgresql")):  # as above
        response = client.get(f"{URL}?near=80302&goal=compromise&role=bridge-builders")
    assert titles(response) == ["Boulder listening circles"]


def test_map_view_carries_the_same_results_as_points(client, world):
    response = client.get(f"{URL}?view=map&state=CO")
    html = response.content.decode()
    script = html.split('id="map-points" type="application/json">', 1)[1].split("</script>")[0]
    points = json.loads(script)
    assert {p["title"] for p in points} == {"Boulder listening circles", "Denver poll worker drive"}
    html = response.content.decode()
    assert 'id="map-points"' in html
    assert "vendor/leaflet/leaflet.js" in html
    assert "List view" in html  # the accessible alternative is one click away


def test_empty_results_suggest_widening_the_search(client, world):
    html = client.get(f"{URL}?near=80302&radius=5&role=mediators").content.decode()
    assert "No initiatives match yet" in html
    assert "radius=100" in html
    assert "include_national=true" in html


@pytest.mark.parametrize(
    "query",
    [
        "role=&kind=&sort=&q=&near=&radius=",
        "state=",
        "goal=&group=",
        "state=&state=CO",
        "scope=&newcomers=&include_national=",
    ],
)
def test_empty_parameters_mean_not_given_as_in_an_html_form(client, world, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    api = client.get(f"/api/v1/initiatives/?{query}")
    assert api.status_code == 200
    assert api.json()["count"] == response.context["paginator"].count


def test_search_excludes_minus_words_and_ignores_or(client):
    InitiativeFactory(title="Dialogue dinners")
    InitiativeFactory(title="Dialogue walks")
    assert titles(client.get(f"{URL}?q=dialogue+-walks")) == ["Dialogue dinners"]
    from django.db import connection

    found = set(titles(client.get(f"{URL}?q=dinners+or+walks")))
    # PostgreSQL's websearch: either word. SQLite's fallback ignores "or": both words needed.
    expected = (
        {"Dialogue dinners", "Dialogue walks"} if connection.vendor == "postgresql" else set()
    )
    assert found == expected


def test_facet_counts_are_left_out_when_too_many_listings_match(client, monkeypatch):
    import directory.search.facets

    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 2)
    goal = Goal.objects.get(slug="compromise")
    for _ in range(3):
        InitiativeFactory(goals=[goal], postal_code="80302")
    wide = client.get(URL)
    assert all(option.count is None for option in wide.context["facets"]["goal"])
    again = client.get(URL)  # the same page, from the page store (mpdb/http_cache.py)
    assert again.status_code == 200
    assert again.context is None  # no view, no template ran
    assert (
        again.content.split(b"csrfmiddlewaretoken")[0]
        == wide.content.split(b"csrfmiddlewaretoken")[0]
    )
    assert "Counts appear next to each choice once the search matches fewer than" in (
        wide.content.decode()
    )
    # Narrowed below the cap, the counts come back.
    InitiativeFactory(postal_code="60601")
    narrow = client.get(f"{URL}?state=IL")
    scopes = {o.value: o.count for o in narrow.context["facets"]["scope"]}
    assert scopes["local"] == 1


def test_above_the_cap_one_facet_statement_runs_and_below_it_no_count_runs(client, monkeypatch):
    """Every filter together matching too many: leaving one out matches more, so the facets of
    the active filters are not counted at all. Matching few: that statement's total is the
    list's, and the paginator counts nothing again."""
    import directory.search.facets
    import directory.search.pagination

    statements, counts = [], []
    facet_counts = directory.search.facets._counts
    capped_count = directory.search.pagination.capped_count
    monkeypatch.setattr(
        directory.search.facets,
        "_counts",
        lambda queryset, keys, **kw: statements.append(keys) or facet_counts(queryset, keys, **kw),
    )
    monkeypatch.setattr(
        directory.search.pagination,
        "capped_count",
        lambda *args, **kwargs: counts.append(1) or capped_count(*args, **kwargs),
    )
    goal = Goal.objects.get(slug="compromise")
    for _ in range(3):
        InitiativeFactory(goals=[goal], postal_code="80302")
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 2)
    wide = client.get(f"{URL}?state=CO&goal=compromise&page_size=1")
    assert len(statements) == 1  # not one more per active filter (state, goal)
    assert all(option.count is None for option in wide.context["facets"]["state"])
    # The facets' first statement counted the list's matches too, up to their own cap: the
    # first pages say "more than 2".
    paginator = wide.context["paginator"]
    assert not counts and (paginator.count, paginator.capped) == (2, True)
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 1_000)
    cache.clear()  # counts cached under the other cap
    statements.clear(), counts.clear()
    narrow = client.get(f"{URL}?state=CO&goal=compromise")
    assert len(statements) == 3  # all the others, then without state, then without goal
    assert not counts and narrow.context["paginator"].count == 3


def test_each_filterset_class_builds_its_form_class_once():
    from django.http import QueryDict

    from directory.search.filters import InitiativeFilter, OrganizationFilter

    first, second = (InitiativeFilter(QueryDict("state=CO")) for _ in range(2))
    assert first.get_form_class() is second.get_form_class()
    assert first.form is not second.form and first.form.fields is not second.form.fields
    assert OrganizationFilter().get_form_class() is not first.get_form_class()
    assert "newcomers" in first.form.fields and "newcomers" not in OrganizationFilter().form.fields


def test_too_many_matches_are_listed_newest_first_instead_of_ranked(client, monkeypatch):
    import directory.search.filters

    older = InitiativeFactory(
        title="Dialogue dialogue dialogue", summary="dialogue", postal_code="80302"
    )
    newer = InitiativeFactory(
        title="Neighbours", summary="A dialogue now and then.", postal_code="80302"
    )
    Initiative.objects.filter(pk=older.pk).update(
        published_at=newer.published_at.replace(year=2020)
    )
    ranked = client.get(f"{URL}?q=dialogue")
    assert ranked.context["filter"].ranked is True
    assert titles(ranked)[0] == "Dialogue dialogue dialogue"  # the best match first
    monkeypatch.setattr(directory.search.filters, "COUNT_CAP", 1)
    cache.clear()
    fallback = client.get(f"{URL}?q=dialogue")
    assert fallback.context["filter"].ranked is False
    assert titles(fallback) == ["Neighbours", "Dialogue dialogue dialogue"]
    assert "too many to rank by relevance" in fallback.content.decode()
    assert "the newest come first" in fallback.content.decode()
    # Near a ZIP code they come nearest first, and the hint says so (Spanish too).
    cache.clear()
    near = client.get(f"{URL}?q=dialogue&near=80302&radius=100").content.decode()
    assert "too many to rank by relevance quickly: the nearest come first." in near
    cache.clear()
    spanish = client.get(f"{URL}?q=dialogue&near=80302", HTTP_ACCEPT_LANGUAGE="es")
    assert "primero aparecen las más cercanas" in spanish.content.decode()
    # Events come soonest first.
    EventFactory(title="Town dialogue")
    EventFactory(title="Dialogue night")
    cache.clear()
    events = client.get("/events/?q=dialogue").content.decode()
    assert "too many to rank by relevance quickly: the soonest come first." in events
    api = client.get("/api/v1/initiatives/?q=dialogue")
    assert [row["title"] for row in api.json()["results"]] == titles(fallback)
    assert api["X-Relevance-Ranking"].startswith("skipped")
    assert "X-Relevance-Ranking" not in client.get("/api/v1/initiatives/").headers


def test_cached_results_region_follows_the_language_and_the_page(client, world):
    goal = Goal.objects.get(slug="compromise")
    english = client.get(URL).content.decode()
    spanish = client.get(URL, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert goal.title_en in english and goal.title_es not in english
    assert goal.title_es in spanish
    # Another page of the same search is another region.
    second = client.get(f"{URL}?page_size=1&page=2").content.decode()
    first = client.get(f"{URL}?page_size=1").content.decode()
    assert first.count('class="card"') == second.count('class="card"') == 1
    assert first.split('class="card"')[1][:200] != second.split('class="card"')[1][:200]


def test_deep_pages_read_their_ids_first_and_keep_the_order(client, monkeypatch):
    """Past DEFER_AFTER rows a page reads the ids (index only), then those rows: same page."""
    import directory.search.pagination

    for i in range(7):
        InitiativeFactory(title=f"Deep {i}", postal_code="80302")
    pages = {}
    for defer_after in (10_000, 2):
        monkeypatch.setattr(directory.search.pagination, "DEFER_AFTER", defer_after)
        cache.clear()
        pages[defer_after] = [
            titles(client.get(f"{URL}?page_size=2&page={n}&sort=name")) for n in (1, 2, 3, 4)
        ]
    assert pages[2] == pages[10_000]
    assert pages[2][1] == ["Deep 2", "Deep 3"] and pages[2][3] == ["Deep 6"]


def test_invalidation_is_scoped_to_the_kind_of_listing_that_changed(
    client, django_assert_num_queries
):
    """A new event leaves the cached initiative list alone; a change to an initiative or to an
    organization (whose name the cards show) retires it."""
    from tests.factories import EventFactory

    work = InitiativeFactory(title="Scoped circle", postal_code="80302")
    client.get(f"{URL}?state=CO")
    EventFactory(organization=work.organization)
    with django_assert_num_queries(0):
        client.get(f"{URL}?state=CO")  # still cached: events are not part of this list
    work.organization.name = "Renamed organization"
    work.organization.save()
    assert "Renamed organization" in client.get(f"{URL}?state=CO").content.decode()
    work.title = "Scoped circle, renamed"
    work.save()
    assert "Scoped circle, renamed" in client.get(f"{URL}?state=CO").content.decode()


def test_above_the_cap_the_facets_read_only_the_matching_keys(client, monkeypatch):
    """The first of a facet set's two statements stops at the cap; above it, the counting
    statement never runs. Below it, both run and count every match."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import directory.search.facets
    from directory.search.facets import IDS, _counts

    goal = Goal.objects.get(slug="compromise")
    for _ in range(3):
        InitiativeFactory(goals=[goal], postal_code="80302")
    matches = Initiative.objects.published().filter(goals=goal)
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 2)
    with CaptureQueriesContext(connection) as above:
        found = _counts(matches, ["state", "goal"])
    assert found == {"state": "too many", "goal": "too many", "": 3}
    assert len(above.captured_queries) == 1
    assert "LIMIT 3" in above.captured_queries[0]["sql"]  # the cap + 1, no more
    # Asked for the list's total too, the same one statement counts every match up to that
    # cap, past the facets' own.
    with CaptureQueriesContext(connection) as total:
        assert _counts(matches, ["state"], total_up_to=5) == {"state": "too many", "": 3}
    assert len(total.captured_queries) == 1
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 1_000)
    with CaptureQueriesContext(connection) as below:
        found = _counts(matches, ["state", "goal"])
    assert len(below.captured_queries) == 2
    keys = sorted(found.pop(IDS))  # below the cap: every match's key too
    assert found == {"": 3, "state": {"CO": 3}, "goal": {"compromise": 3}}
    assert keys == sorted(matches.values_list("pk", flat=True))


def test_a_role_group_without_roles_matches_nothing(client, world):
    from roles.models import RoleGroup

    empty = RoleGroup.objects.create(
        slug="empty-group", letter="Z", name="Empty", order=99, kind="actor", summary="None yet."
    )
    assert titles(client.get(f"{URL}?group={empty.slug}")) == []
    linked = Role.objects.get(slug="bridge-builders").group.slug
    assert titles(client.get(f"{URL}?group={linked}"))  # a group with roles still matches


def test_the_cards_query_leaves_out_the_long_columns(client, world):
    """No card shows a listing's description or search vector: the list does not read them,
    and reading the cards runs no query per card for them either (test_query_counts)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{URL}?state=CO")
    assert titles(response)
    cards = [
        q["sql"] for q in captured.captured_queries if '"directory_initiative"."title"' in q["sql"]
    ]
    assert cards
    for sql in cards:
        assert '"directory_initiative"."description"' not in sql
        assert '"directory_initiative"."search_vector"' not in sql
        assert '"directory_organization"."description"' not in sql


def test_taxonomy_filters_are_checked_against_the_snapshot_without_a_query():
    """goal, role, group and language are validated against the taxonomy snapshot: no query,
    Django's own messages, exact slugs only; the cleaned values are the snapshot's terms."""
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from directory.search.filters import InitiativeFilter
    from directory.search.taxonomy import taxonomy

    taxonomy()  # read once per process (and version)
    query = "goal=compromise&role=bridge-builders&group=grassroots-citizens&language=es"
    with CaptureQueriesContext(connection) as captured:
        valid = InitiativeFilter(QueryDict(query))
        assert valid.is_valid(), valid.errors
    assert len(captured.captured_queries) == 0
    data = valid.form.cleaned_data
    assert [t.slug for t in data["goal"]] == ["compromise"]
    assert [t.label for t in data["role"]] == [Role.objects.get(slug="bridge-builders").label]
    assert [g.slug for g in data["group"]] == ["grassroots-citizens"]
    assert [t.slug for t in data["language"]] == ["es"]
    bad = InitiativeFilter(QueryDict("goal=Compromise&role=nobody&language=xx&group=none"))
    assert not bad.is_valid()
    assert bad.errors["goal"] == ["There is no goal “Compromise”."]
    assert bad.errors["role"] == ["There is no role “nobody”."]
    assert bad.errors["group"] == ["There is no role group “none”."]
    assert bad.errors["language"] == ["There is no language with the code “xx”."]
    nul = InitiativeFilter(QueryDict("goal=comp%00romise"))
    assert not nul.is_valid() and "goal" in nul.errors


@pytest.mark.parametrize("query", ["near=80302&radius=100", "q=listening"])
def test_a_list_sorted_per_row_sorts_its_matches_once(client, world, query, monkeypatch):
    """Sorted by distance or relevance, the database sorts every match once: the statement
    that reads the matches' keys for the facets sorts them too (``facets._counts``), and the
    page's rows are read by key with their organizations; no other statement sorts the
    matches. A page past the keys that statement kept reads its keys through the filters
    (PostgreSQL: the initiatives alone), then its rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import directory.search.facets

    def statements(url):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200 and titles(response)
        sql = [q["sql"] for q in queries]
        sorting = [q for q in sql if q.startswith("SELECT m.*") and " m ORDER BY 2 " in q]
        keys = [
            q
            for q in sql
            if q.startswith('SELECT "directory_initiative"."id" AS "pk" FROM') and "ORDER BY" in q
        ]
        rows = [q for q in sql if 'INNER JOIN "directory_organization"' in q]
        rows = [q for q in rows if '"directory_initiative"."id" IN (' in q]
        assert len(rows) == 1 and " LIMIT " not in rows[0]
        return sorting, keys

    InitiativeFactory(title="Listening posts", postal_code="80202")  # two matches of each
    sorting, keys = statements(f"{URL}?{query}")
    assert len(sorting) == 1 and keys == []
    # The facets' statement keeps FACET_CAP + 1 keys (here 1): page 2 of pages of one is past
    # them, and reads its key sorting the matches through the filters.
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 0)
    sorting, keys = statements(f"{URL}?{query}&page_size=1&page=2")
    assert len(sorting) == 1 and len(keys) == 1
    if connection.vendor == "postgresql" or "near" in query:  # SQLite ranks by org name too
        assert '"directory_organization"' not in keys[0]


def test_a_search_near_a_zip_with_national_work_keeps_its_first_keys_sorted(client, world):
    """Every national listing matches a search that includes national work: the facets'
    statement reads its parts (``near_parts``: national work beyond the box among them) and
    keeps the first FACET_CAP + 1 in the list's order, so the first pages are read by key."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{URL}?near=80302&radius=100&include_national=true")
    shown = titles(response)
    assert shown[:2] == ["Boulder listening circles", "Denver poll worker drive"]
    sql = [q["sql"] for q in queries if q["sql"].startswith("SELECT m.*")]
    assert len(sql) == 1 and " UNION ALL " in sql[0]
    assert response.context["filter"].ordered_ids is not None
    assert not response.context["paginator"].capped


@pytest.mark.parametrize(
    "query",
    [
        "q=dialogue",
        "near=80302&radius=100",
        "near=80302&radius=100&include_national=true",
        "q=dialogue&near=80302&radius=100&sort=distance",
    ],
)
def test_a_list_sorted_per_row_pages_alike_from_its_sorted_keys_and_past_them(
    client, monkeypatch, query
):
    """The keys the facets' statement sorted (``ListingFilter.ordered_ids``) give the same
    order, ties included, as the list sorting its matches itself: every page of two, read
    among those keys, past them, or across the boundary, shows the listings of one page of
    all of them sorted through the filters, in the same order."""
    import directory.search.facets

    places = ["80302", "80202", "80501", "80302", "80401", "80903", "80202", "80302"]
    texts = ["Dialogue dialogue dialogue", "Dialogue", "A dialogue", "Dialogue dialogue"]
    for i, postal_code in enumerate(places):
        # Equal texts rank alike and equal places are as far: the names break the ties.
        InitiativeFactory(
            title=f"{texts[i % 4]} {'BADCEHGF'[i]}",
            summary="Neighbours in dialogue." if i % 3 else "Talk.",
            postal_code=postal_code,
        )
    for _ in range(2):  # the same name, text and place: the keys break the tie
        InitiativeFactory(title="Dialogue twin", summary="Talk.", postal_code="80202")
    InitiativeFactory(title="National dialogue", scope="national", postal_code="")
    # Statewide work of the ZIP's state, with no place: a match with no distance (last).
    InitiativeFactory(title="Colorado dialogue", scope="state", state="CO", postal_code="", city="")

    def shown(size: int, page: int | None = None) -> list[int]:
        cache.clear()
        url = f"{URL}?{query}&page_size={size}" + (f"&page={page}" if page else "")
        response = client.get(url)
        assert response.status_code == 200
        return [obj.pk for obj in response.context["object_list"]]  # the twins differ by key

    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 0)  # one key kept: none used
    everything = shown(50)
    assert len(everything) >= 7, everything
    for cap in (1_000, 3, 2, 0):  # every page among the keys; after them; across; none
        monkeypatch.setattr(directory.search.facets, "FACET_CAP", cap)
        pages = [shown(2, number) for number in range(1, (len(everything) + 1) // 2 + 1)]
        assert [key for page in pages for key in page] == everything, cap


def test_state_and_scope_counts_add_up_from_one_pass_over_the_matches(client):
    """The state and scope facets are counted together (one GROUP BY of both, facets.py): each
    state's count adds up its scopes, and each scope's its states."""
    goal = Goal.objects.get(slug="reconciliation")
    for postal_code, scope in [
        ("80302", "local"),
        ("80302", "local"),
        ("80302", "state"),
        ("10001", "local"),
        ("10001", "national"),
    ]:
        InitiativeFactory(goals=[goal], postal_code=postal_code, scope=scope)
    InitiativeFactory(postal_code="80302", scope="local")  # another goal: not counted
    response = client.get(f"{URL}?goal=reconciliation")
    states = {o.value: o.count for o in response.context["facets"]["state"]}
    scopes = {o.value: o.count for o in response.context["facets"]["scope"]}
    assert states == {"CO": 3, "NY": 2}
    assert (scopes["local"], scopes["state"], scopes["national"], scopes["online"]) == (3, 1, 1, 0)


@pytest.mark.parametrize("sort", ["", "name"])
def test_a_list_whose_facets_read_every_key_reads_its_pages_among_them(client, monkeypatch, sort):
    """Below the facets' cap the facets have read every match's key: each page is read among
    those keys (no statement after the facets filters by goal or role again) and is the page
    the filters themselves give, in the same order; above the cap the filters run as before."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    import directory.search.facets

    goal, other = Goal.objects.get(slug="compromise"), Goal.objects.get(slug="reconciliation")
    role = Role.objects.get(slug="bridge-builders")
    now = timezone.now()
    for i in range(24):
        InitiativeFactory(
            title=f"Circle {(i * 7) % 24:02d}",  # names in another order than dates
            goals=[goal if i % 2 else other],
            roles=[role] if i % 3 else [],
            postal_code="80302",
            published_at=now - timedelta(days=i),
        )
    matches = Initiative.objects.published().filter(goals=goal, roles=role)
    order = ["title", "pk"] if sort else ["-published_at", "-pk"]
    expected = list(matches.order_by(*order).values_list("title", flat=True))
    assert len(expected) == 8
    query = f"goal=compromise&role=bridge-builders&page_size=3&sort={sort}"

    def pages() -> tuple[list[str], list[str]]:
        shown, statements = [], []
        for page in (1, 2, 3):
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                shown += titles(client.get(f"{URL}?{query}&page={page}"))
            statements += [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"]]
        return shown, statements

    shown, statements = pages()
    assert shown == expected
    assert statements and not any("directory_initiative_goals" in sql for sql in statements)
    assert not any("directory_initiative_roles" in sql for sql in statements)
    # PostgreSQL gets the keys as one array, SQLite as a list of all eight (``filters.among``).
    if connection.vendor == "postgresql":
        assert any("= ANY(" in sql for sql in statements)
    else:
        lists = re.findall(r'"id" IN \(([\d, ]+)\)', " ".join(statements))
        assert any(len(found.split(",")) == len(expected) for found in lists)

    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 5)  # 8 matches: above the cap
    shown, statements = pages()
    assert shown == expected
    assert any("directory_initiative_goals" in sql for sql in statements)
    # PostgreSQL, newest first: each page's keys with the filters checked on the arrays each
    # row carries (``walk_keys``), then its rows.
    arrays = [sql for sql in statements if '"facet_goal_ids" && ' in sql]
    walked = connection.vendor == "postgresql" and not sort
    assert len(arrays) == (3 if walked else 0), arrays
    assert all('"facet_role_ids" && ' in sql and "_goals" not in sql for sql in arrays)


def test_past_the_facets_cap_the_first_pages_say_more_than_and_later_pages_count_on(
    client, monkeypatch
):
    """The facets count a list's matches up to their cap: its first pages say "more than …"
    and count nothing else; a page past them counts up to the list's own cap, and no listing
    is skipped or repeated between the two. A list that may be ranked counts every match."""
    import directory.search.facets
    import directory.search.pagination

    counts = []
    capped_count = directory.search.pagination.capped_count
    monkeypatch.setattr(
        directory.search.pagination,
        "capped_count",
        lambda *args, **kwargs: counts.append(1) or capped_count(*args, **kwargs),
    )
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 5)
    goal = Goal.objects.get(slug="compromise")
    for i in range(11):
        InitiativeFactory(title=f"Dialogue {i:02d}", goals=[goal], postal_code="80302")
    expected = list(
        Initiative.objects.published()
        .order_by("-published_at", "-pk")
        .values_list("title", flat=True)
    )

    def page(number: int, extra: str = ""):
        cache.clear()
        counts.clear()
        response = client.get(f"{URL}?goal=compromise&page_size=2&page={number}{extra}")
        return response, response.context["paginator"], response.content.decode()

    shown = []
    for number in (1, 2):  # 4 = the cap (5) cut to whole pages of 2
        response, paginator, html = page(number)
        assert (paginator.count, paginator.capped, paginator.more_beyond) == (4, True, True)
        assert not counts  # the facets' count was enough
        # the facets counted past 5 (the pages stop at 4, whole pages of 2)
        assert "More than 5 results" in html and f"Page {number} of more than 2" in html
        assert "Pages stop after" not in html  # they do not: the next page counts on
        shown += titles(response)
    assert 'rel="next" href="?goal=compromise&amp;page_size=2&amp;page=3"' in html
    cache.clear()
    odd = client.get(f"{URL}?goal=compromise&page_size=3").content.decode()
    assert "More than 5 results" in odd and "Page 1 of more than 1<" in odd  # not "than 3"
    # one whole page before the cap: the pages still go on
    assert 'rel="next" href="?goal=compromise&amp;page_size=3&amp;page=2"' in odd
    for number in (3, 4, 5, 6):
        response, paginator, html = page(number)
        assert (paginator.count, paginator.capped) == (11, False) and counts == [1]
        assert "11 initiatives" in html
        shown += titles(response)
    assert shown == expected  # nothing skipped, nothing twice

    # An embedded list says "more than" too, rather than a total it did not count.
    cache.clear()
    embedded = client.get("/embed/initiatives/?goal=compromise&page_size=2").content.decode()
    assert 'class="embed-count">More than 5 results<' in embedded
    assert embedded.count(">Dialogue ") == 2, embedded
    # Pages longer than the facets' count: not one whole page within it, so the list counts
    # on itself rather than show an empty page.
    cache.clear()
    counts.clear()
    response = client.get(f"{URL}?goal=compromise&page_size=20")
    paginator = response.context["paginator"]
    assert (paginator.count, paginator.capped) == (11, False) and counts == [1]
    assert titles(response) == expected and "11 initiatives" in response.content.decode()

    # Words to rank by: the facets count every match (ranking needs the total).
    response, paginator, html = page(1, "&q=dialogue")
    assert (paginator.count, paginator.capped) == (11, False) and not counts


def test_distances_and_the_map_s_warning_stay_whatever_the_count_and_the_order(client, monkeypatch):
    """Cards near a ZIP code show their distance in any order (their page is read through the
    filters, which measure it), and the map warns that it shows only the first results when the
    count stopped at the facets' cap as when it stopped at MAP_LIMIT."""
    import directory.search.facets
    import directory.views.public

    for i in range(3):
        InitiativeFactory(title=f"Porch talk {i}", postal_code="80302")
    for sort in ("", "newest", "name"):
        cache.clear()
        html = client.get(f"{URL}?near=80302&radius=25&sort={sort}").content.decode()
        assert html.count("mi away") == 3, sort

    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 2)
    monkeypatch.setattr(directory.views.public, "MAP_LIMIT", 5)
    cache.clear()
    response = client.get(f"{URL}?view=map&page_size=1")
    assert response.context["paginator"].capped  # "more than 2", fewer than the map's limit
    assert "The map shows the first 5 results" in response.content.decode()


def test_the_facets_read_from_the_connection_the_list_reads_from(monkeypatch):
    """An anonymous visitor's list reads from the replica when there is one (mpdb/routers.py):
    its facet statements, written in SQL, must run there too, not on the primary. Here the
    list's queryset reads from an alias whose connection records each statement and hands it to
    the test database."""
    from django.db import connection
    from django.http import QueryDict

    import directory.search.facets as facets
    from directory.search.filters import InitiativeFilter

    goal = Goal.objects.get(slug="reconciliation")
    InitiativeFactory(goals=[goal], postal_code="80302", scope="local")
    InitiativeFactory(goals=[goal], postal_code="10001", scope="national")

    class Recording:
        """The test database's connection, keeping the SQL sent through its cursors."""

        def __init__(self, real):
            self.real, self.statements = real, []

        def __getattr__(self, name):
            return getattr(self.real, name)

        def cursor(self):
            cursor, statements = self.real.cursor(), self.statements

            class Cursor:
                def __enter__(self):
                    return self

                def __exit__(self, *exc):
                    cursor.close()

                def execute(self, sql, params=None):
                    statements.append(sql)
                    return cursor.execute(sql, params)

                def fetchall(self):
                    return cursor.fetchall()

            return Cursor()

    replica = Recording(connection)
    monkeypatch.setattr(facets, "connections", {"replica": replica})
    filterset = InitiativeFilter(
        QueryDict("goal=reconciliation"), queryset=Initiative.objects.published().using("replica")
    )
    found = facets.facet_counts(filterset)
    assert {o.value: o.count for o in found["state"] if o.count} == {"CO": 1, "NY": 1}
    # Per set of facets (those not filtered on; the goal's, without its own filter) the keys,
    # then the counts over them: all four on the list's own connection.
    assert len(replica.statements) == 4, replica.statements
    assert ["COUNT(*) OVER ()" in sql for sql in replica.statements] == [True, False] * 2
    assert all("GROUP BY" in sql for sql in replica.statements[1::2])


def test_a_search_the_database_expects_to_match_too_many_is_not_counted_to_be_ranked(
    client, monkeypatch
):
    """PostgreSQL: when the planner expects more matches than are ranked
    (``facets.RANK_ESTIMATE_CAP``), the list counts them as an unranked list does (to
    FACET_CAP, not to COUNT_CAP), comes newest first, and says the estimate; if few match after
    all, it is ranked. SQLite has no estimate: it counts, and ranks what it may."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import directory.search.facets
    from directory.search.facets import estimated_matches

    goal = Goal.objects.get(slug="compromise")
    for i in range(8):
        InitiativeFactory(
            title=f"Dialogue {'dialogue ' * (i % 3)}{i}", summary="Talk.", goals=[goal]
        )
    InitiativeFactory(title="Quilting bee", summary="Quilts.")
    InitiativeFactory(title="Quilting circle", summary="More quilts.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Initiative._meta.db_table}")
    matching = Initiative.objects.published().search("dialogue")
    newest = list(matching.order_by("-published_at", "-pk").values_list("title", flat=True))
    best = list(matching.order_by("-rank", "title", "pk").values_list("title", flat=True))
    assert newest != best
    estimate = estimated_matches(matching)
    if connection.vendor != "postgresql":
        assert estimate is None
    else:
        assert 4 <= estimate <= 16, estimate  # 8 match: the planner's statistics see them

    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 2)
    monkeypatch.setattr(directory.search.facets, "RANK_ESTIMATE_CAP", 3)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{URL}?q=dialogue&page_size=20")
    html = response.content.decode()
    limits = {int(n) for q in queries for n in re.findall(r"LIMIT (\d+)\) m", q["sql"])}
    shown = titles(response)
    if connection.vendor == "postgresql":
        assert response.context["filter"].ranked is False
        assert response.context["filter"].rank_estimate == estimate
        assert f"About {estimate} listings match these words" in html
        assert limits == {3}  # counted to FACET_CAP + 1 only
        assert shown == newest  # newest first
    else:
        assert response.context["filter"].ranked is True
        assert "the database&#x27;s estimate" not in html and "database's estimate" not in html
        assert shown == best
    # A search whose filters can match nothing runs no EXPLAIN, and says so (no error).
    assert estimated_matches(matching.none()) in (0, None)
    assert estimated_matches(matching.filter(pk__in=[])) in (0, None)
    for url in ("/events/?q=meeting&from=2199-01-01", "/embed/events/?q=meeting&from=2199-01-01"):
        assert client.get(url).status_code == 200, url
    # Expected to match too many, yet few do: counted, then ranked.
    monkeypatch.setattr(directory.search.facets, "RANK_ESTIMATE_CAP", 0)
    cache.clear()
    response = client.get(f"{URL}?q=quilting")
    assert response.context["filter"].ranked is True
    assert response.context["filter"].rank_estimate is None
    assert titles(response) == list(
        Initiative.objects.published()
        .search("quilting")
        .order_by("-rank", "title", "pk")
        .values_list("title", flat=True)
    )
