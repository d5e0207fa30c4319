"""A list with more matches than the facets collect is read page by page through its filters;
on PostgreSQL, newest first with only link filters (goal, role, group, kind of role, language),
each page's keys are found with those filters checked on the arrays of terms each initiative's
row carries (``ListingFilter.walk_keys``), from an index that holds them (migration 0030).
These hold that reading equal to the link tables' answer, page by page, on both databases, and
check the plan on PostgreSQL."""

from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qsl

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import directory.search.facets
from directory.models import Initiative, Language, Organization
from directory.search.facets import facet_counts
from directory.search.filters import InitiativeFilter
from directory.services import facet_terms
from goals.models import Goal
from roles.models import Role
from tests.directory.test_initiative_list import titles
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

URL = "/initiatives/"
KEYS = 'SELECT "directory_initiative"."id" AS "pk" FROM'


@pytest.fixture
def listings():
    """Thirty initiatives with varied links, one a day apart (the newest first is a fixed order)."""
    roles = list(Role.objects.select_related("group").order_by("number"))
    goals = list(Goal.objects.order_by("number"))
    spanish = Language.objects.get_or_create(code="es", defaults={"name": "Spanish"})[0]
    now = timezone.now()
    made = []
    for i in range(30):
        made.append(
            InitiativeFactory(
                title=f"Walk {i:02d}",
                roles=[roles[i % 7], roles[20 + i % 5]] if i % 4 else [],
                goals=[] if i % 5 == 0 else [goals[i % 2]],
                languages=[spanish] if i % 3 == 0 else [],
                published_at=now - timedelta(days=i),
            )
        )
    # Linked like the others, but not public: never on a page, whichever way it is read.
    InitiativeFactory(title="Walk hidden", roles=roles[:1] + roles[20:22], status="pending")
    InitiativeFactory(
        title="Walk of a hidden org",
        roles=roles[:1] + roles[20:22],
        goals=goals[:2],
        languages=[spanish],
        organization=OrganizationFactory(status="pending"),
    )
    return roles


def expected_titles(query: dict) -> list[str]:
    """The matches newest first, from the link tables (the ORM's joins), in Python's terms."""
    rows = Initiative.objects.published()
    for name, values in query.items():
        if name == "role":
            rows = rows.filter(roles__slug__in=values)
        elif name == "goal":
            rows = rows.filter(goals__slug__in=values)
        elif name == "group":
            rows = rows.filter(roles__group__slug__in=values)
        elif name == "kind":
            rows = rows.filter(roles__group__kind=values[0])
        elif name == "language":
            rows = rows.filter(languages__code__in=values)
    return list(rows.distinct().order_by("-published_at", "-pk").values_list("title", flat=True))


def shown_titles(client, query: dict, pages: int) -> tuple[list[str], list[str]]:
    """The titles on pages 1 to ``pages`` (four a page, each a first request), and the
    statements they ran."""
    params = "&".join(f"{name}={value}" for name, values in query.items() for value in values)
    shown, statements = [], []
    for page in range(1, pages + 1):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{URL}?{params}&page_size=4&page={page}")
        assert response.status_code == 200
        shown += titles(response)
        statements += [q["sql"] for q in queries.captured_queries]
    return shown, statements


@pytest.mark.parametrize(
    "query",
    [
        {"role": ["{r0}"]},
        {"role": ["{r0}", "{r20}"]},  # any of them
        {"group": ["{g0}"]},
        {"kind": ["{k0}"]},
        {"language": ["es"]},
        {"goal": ["{goal}"], "role": ["{r21}"]},
        {"group": ["{g0}"], "language": ["es"]},
    ],
    ids=["role", "two-roles", "group", "kind", "language", "goal-role", "group-language"],
)
def test_pages_read_through_the_arrays_equal_the_link_tables(client, monkeypatch, listings, query):
    roles = listings
    goal = Goal.objects.order_by("number")[1]
    names = {
        "r0": roles[0].slug,
        "r20": roles[20].slug,
        "r21": roles[21].slug,
        "g0": roles[0].group.slug,
        "k0": roles[0].group.kind,
        "goal": goal.slug,
    }
    query = {name: [v.format(**names) for v in values] for name, values in query.items()}
    expected = expected_titles(query)
    assert len(expected) >= 3, expected
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 2)  # above it: read through
    shown, statements = shown_titles(client, query, pages=-(-len(expected) // 4))
    assert shown == expected
    keys = [sql for sql in statements if sql.startswith(KEYS) and "ORDER BY" in sql]
    # the facets' first statement of each page (the list's own matches, counted)
    counting = [sql for sql in statements if sql.startswith("SELECT m.")]
    # (not the planner's estimate the facets ask for first: ``LINKED_ESTIMATE_CAP``)
    arrays = [
        sql
        for sql in statements
        if "facet_" in sql and " && " in sql and not sql.startswith("EXPLAIN")
    ]
    if facet_terms.available(connection):  # each page's keys, from the arrays alone
        assert len(keys) == -(-len(expected) // 4), keys
        assert all(" && " in sql and "_roles" not in sql and "_goals" not in sql for sql in keys)
        # two link filters: the list's own matches are found through the arrays as well
        # (``links_only``); one: through its link table
        assert len(counting) == len(keys), counting
        on_arrays = [sql for sql in counting if " && " in sql]
        assert on_arrays == (counting if len(query) > 1 else []), counting
        assert len(arrays) == len(keys) + len(on_arrays)
    else:
        assert arrays == []


@pytest.mark.parametrize(
    ("extra", "walks"),
    [
        ("sort=newest", True),
        ("sort=name", False),
        ("newcomers=true", False),
        ("state=CO", True),
        ("state=CO&sort=name", True),
        ("state=CO&newcomers=true", True),
    ],
)
def test_which_filters_and_orders_read_the_arrays(client, monkeypatch, listings, extra, walks):
    """A role alone newest first reads its page's keys from the arrays (``walk_keys``); with a
    state every statement that applies it does (``ListingFilter._bounded``), whatever the
    order; a role sorted by name, or with another column's filter, reads the link tables. The
    pages are the same either way."""
    role = listings[0]
    Initiative.objects.filter(title__in=["Walk 07", "Walk 14", "Walk 21"]).update(
        state="CO", welcomes_newcomers=True
    )
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 1)
    rows = Initiative.objects.published().filter(roles=role)
    given = dict(parse_qsl(extra))
    if "newcomers" in given:
        rows = rows.filter(welcomes_newcomers=True)
    if "state" in given:
        rows = rows.filter(state=given["state"])
    order = ["title", "pk"] if given.get("sort") == "name" else ["-published_at", "-pk"]
    expected = list(rows.order_by(*order).values_list("title", flat=True))
    assert len(expected) >= 2, expected
    query = {"role": [role.slug], **{name: [value] for name, value in given.items()}}
    shown, statements = shown_titles(client, query, pages=-(-len(expected) // 4))
    assert shown == expected
    arrays = [sql for sql in statements if '"facet_role_ids" && ' in sql]
    assert bool(arrays) == (walks and facet_terms.available(connection)), arrays


def test_the_newest_page_of_link_filters_reads_its_keys_from_one_index(client, monkeypatch):
    """Newest first with only link filters: the page's keys statement can be answered from the
    index of the newest initiatives with their arrays alone (an index-only scan, no row read),
    then the rows are read by key. (On a table of six rows the planner prefers the plain date
    index; at a million initiatives it takes this one: 52 buffers for a goal and a role, where
    the link tables' probes read 9,823: see migration 0030.)"""
    roles = list(Role.objects.order_by("number")[:2])
    for _ in range(6):
        InitiativeFactory(roles=roles)
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 2)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{URL}?role={roles[0].slug}&role={roles[1].slug}").status_code == 200
    keys = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(KEYS)]
    keys = [sql for sql in keys if "ORDER BY" in sql]
    if not facet_terms.available(connection):
        assert not any("facet_role_ids" in q["sql"] for q in queries.captured_queries)
        return
    assert len(keys) == 1, [q["sql"][:100] for q in queries.captured_queries]
    # Can that index answer the statement alone, in its order? On six rows the planner prefers
    # the plain date index (without the arrays), so it is dropped (``plan_without``).
    plan = plan_without(keys[0], ["ini_visible_newest"])
    assert "Index Only Scan using ini_visible_newest_terms" in plan, (keys[0], plan)
    assert "Sort" not in plan and "disable" not in plan.lower(), plan


def plan_without(sql: str, indexes: list[str]) -> str:
    """PostgreSQL's plan for ``sql`` with ``indexes`` dropped (the test's transaction puts them
    back) and neither a scan of the whole table, a bitmap nor a sort allowed."""
    with connection.cursor() as db:
        for index in indexes:
            db.execute(f"DROP INDEX {index}")
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            db.execute(f"SET LOCAL {setting} = off")
        db.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in db.fetchall())


def test_a_filter_on_the_arrays_keeps_its_meaning_inside_a_subquery(listings):
    """The arrays are read through the query's own alias for the table (a ``Col``), so a
    filtered list used inside another statement (where Django renames the table) still reads
    its own rows' arrays."""
    if not facet_terms.available(connection):
        assert facet_terms.available(connection) is False  # SQLite keeps no arrays
        return
    role = listings[0]
    inner = Initiative.objects.published().filter(facet_terms.overlaps("roles", [role.pk]))
    outer = Initiative.objects.filter(pk__in=inner.values("pk")).exclude(title="")
    assert sorted(outer.values_list("title", flat=True)) == sorted(
        Initiative.objects.published().filter(roles=role).values_list("title", flat=True)
    )
    # Counted per organization in a subquery of another table's statement.
    per_organization = (
        inner.filter(organization=OuterRef("pk"))
        .order_by()
        .values("organization")
        .annotate(n=Count("pk"))
        .values("n")
    )
    counts = dict(
        Organization.objects.annotate(n=Subquery(per_organization))
        .filter(n__isnull=False)
        .values_list("pk", "n")
    )
    linked = Initiative.objects.published().filter(roles=role)
    assert counts == Counter(linked.values_list("organization_id", flat=True)) != {}


LINK_TABLES = (
    "directory_initiative_roles",
    "directory_initiative_goals",
    "directory_initiative_languages",
)


def _place(titles: dict[str, str]) -> None:
    """Some of the fixture's initiatives in Colorado, some regional, one both."""
    for title, (state, scope) in titles.items():
        Initiative.objects.filter(title=title).update(state=state, scope=scope)


PLACES = {
    f"Walk {i:02d}": ("CO" if i % 2 else "WY", "regional" if i % 3 == 0 else "local")
    for i in range(30)
}


@pytest.mark.parametrize("cap", [2, 1000], ids=["read-through", "among-keys"])
@pytest.mark.parametrize(
    "query",
    [
        {"state": ["CO"], "role": ["{r0}"]},
        {"state": ["CO"], "goal": ["{goal}"], "role": ["{r21}"]},
        {"scope": ["regional"], "group": ["{g0}"]},
        {"state": ["CO"], "scope": ["regional", "local"], "language": ["es"]},
    ],
    ids=["state-role", "state-goal-role", "scope-group", "state-scopes-language"],
)
def test_a_state_or_scope_with_link_filters_reads_the_arrays_with_the_same_answer(
    client, monkeypatch, listings, query, cap
):
    """A state or a scope with link filters: every statement that applies the state or the
    scope checks the link filters on the arrays (PostgreSQL), and the pages, the total and the
    facet counts are those of the link tables. A facet's statement that leaves the state (or
    scope) out reads the link tables as before."""
    roles = listings
    _place(PLACES)
    goal = Goal.objects.order_by("number")[1]
    names = {"r0": roles[0].slug, "r21": roles[21].slug, "g0": roles[0].group.slug}
    names["goal"] = goal.slug
    query = {name: [v.format(**names) for v in values] for name, values in query.items()}
    rows = Initiative.objects.published()
    for name in ("state", "scope"):
        if name in query:
            rows = rows.filter(**{f"{name}__in": query[name]})
    allowed = set(rows.values_list("title", flat=True))
    expected = [t for t in expected_titles(query) if t in allowed]
    assert len(expected) >= 2, expected
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", cap)
    shown, statements = shown_titles(client, query, pages=-(-len(expected) // 4))
    assert shown == expected
    params = "&".join(f"{name}={value}" for name, values in query.items() for value in values)
    cache.clear()
    response = client.get(f"{URL}?{params}")
    assert response.context["paginator"].count == len(expected)
    if not facet_terms.available(connection):
        assert not any("facet_" in sql and " && " in sql for sql in statements)
        return
    filtered = [sql for sql in statements if '"directory_initiative"."visible"' in sql]
    placed = ('"state" = ', '"scope" = ')
    bounded = [sql for sql in filtered if any(column in sql for column in placed)]
    # Every statement with the state or scope checks its link filters (if it has any left:
    # a facet's statement leaves its own out) on the arrays, none in a link table.
    assert any(" && " in sql for sql in bounded), filtered
    for sql in bounded:
        assert not any(table in sql for table in LINK_TABLES), sql
    # The facets of the state (or scope) itself leave it out: the link tables, no arrays.
    for sql in filtered:
        if sql not in bounded:
            assert " && " not in sql, sql


def test_the_facet_counts_of_a_state_and_a_role_equal_counting_one_by_one(listings):
    """Each facet's counts, with a state and a role, as a citizen sees them: the state's own
    facet (over the link tables) and the others (over the arrays) agree with a count in Python."""
    role = listings[0]
    _place(PLACES)
    filterset = InitiativeFilter(
        QueryDict(f"state=CO&role={role.slug}"), queryset=Initiative.objects.published()
    )
    facets = facet_counts(filterset)
    public = list(Initiative.objects.published().prefetch_related("roles", "goals"))
    in_co = [i for i in public if i.state == "CO" and role in i.roles.all()]
    with_role = [i for i in public if role in i.roles.all()]
    goals = Counter(g.slug for i in in_co for g in i.goals.all())
    states = Counter(i.state for i in with_role if i.state)
    scopes = Counter(i.scope for i in in_co)
    shown = {key: {o.value: o.count for o in options if o.count} for key, options in facets.items()}
    assert shown["goal"] == dict(goals) != {}
    assert shown["state"] == dict(states) and states["CO"] == len(in_co)
    assert shown["scope"] == dict(scopes)
    assert filterset.match_count == len(in_co) >= 2


def test_the_api_list_counts_a_state_and_a_goal_over_the_arrays(client, listings):
    """The API's list (which counts for itself) with a state and a goal: the same count and
    rows as the link tables give; on PostgreSQL its statements check the goal on the arrays."""
    _place(PLACES)
    goal = Goal.objects.order_by("number")[1]
    expected = list(
        Initiative.objects.published()
        .filter(state="CO", goals=goal)
        .order_by("-published_at", "-pk")
        .values_list("title", flat=True)
    )
    assert len(expected) >= 2, expected
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/initiatives/?state=CO&goal={goal.slug}&page_size=100")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(expected)
    assert [row["title"] for row in body["results"]] == expected
    linked = [
        q["sql"] for q in queries.captured_queries if "directory_initiative_goals" in q["sql"]
    ]
    arrays = [q["sql"] for q in queries.captured_queries if '"facet_goal_ids" && ' in q["sql"]]
    if facet_terms.available(connection):
        assert len(arrays) >= 2 and not any("WHERE" in sql and "U0" in sql for sql in linked)
    else:
        assert arrays == [] and linked


def test_a_search_with_a_state_keeps_the_link_tables(client, listings):
    """Words to search (or a place) find their rows by their own index: with a state, the
    link filters stay on the link tables."""
    role = listings[0]
    _place(PLACES)
    expected = set(
        Initiative.objects.published()
        .filter(state="CO", roles=role)
        .values_list("title", flat=True)
    )
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{URL}?q=walk&state=CO&role={role.slug}")
    assert set(titles(response)) == expected != set()
    assert not any('"facet_role_ids" && ' in q["sql"] for q in queries.captured_queries)


def test_a_state_and_a_goal_read_their_keys_from_the_state_index_with_the_arrays(client, listings):
    """A state and a goal: the page's keys can be answered by the state's index of the newest
    initiatives with their arrays alone (migration 0031), in its order (the state's smaller
    indexes are dropped inside the test's transaction: on a few rows the planner prefers them)."""
    if not facet_terms.available(connection):
        assert facet_terms.available(connection) is False
        return
    _place(PLACES)
    goal = Goal.objects.order_by("number")[1]
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/api/v1/initiatives/?state=CO&goal={goal.slug}")
    keys = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "directory_initiative"."id" FROM') and "ORDER BY" in q["sql"]
    ]
    assert len(keys) == 1, [q["sql"][:120] for q in queries.captured_queries]
    smaller = ["ini_visible_state", "ini_visible_state_id", "ini_visible_state_scope"]
    plan = plan_without(keys[0], [*smaller, "ini_visible_newest", "ini_visible_newest_terms"])
    assert "Index Only Scan using ini_visible_state_terms" in plan, (keys[0], plan)
    assert "Sort" not in plan and "disable" not in plan.lower(), plan
