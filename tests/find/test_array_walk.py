"""A list with more matches than the facets collect is read page by page through its filters;
on PostgreSQL, newest first with only link filters (goal, role, group, kind of role, language),
each page's keys are found with those filters checked on the arrays of terms each initiative's
row carries (``ListingFilter.walk_keys``), from an index that holds them (migration 0030).
These hold that reading equal to the link tables' answer, page by page, on both databases, and
check the plan on PostgreSQL."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import directory.search.facets
from directory.models import Initiative, Language, Organization
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
    arrays = [sql for sql in statements if "facet_" in sql and " && " in sql]
    if facet_terms.available(connection):  # each page's keys, from the arrays alone
        assert len(keys) == len(arrays) == -(-len(expected) // 4), keys
        assert all(" && " in sql and "_roles" not in sql and "_goals" not in sql for sql in keys)
    else:
        assert arrays == []


@pytest.mark.parametrize(
    ("extra", "walks"),
    [("sort=newest", True), ("sort=name", False), ("newcomers=true", False), ("state=CO", False)],
)
def test_another_filter_or_order_reads_its_pages_through_the_link_tables(
    client, monkeypatch, listings, extra, walks
):
    """Only newest first with link filters alone are a page's keys read from the arrays; any
    other filter or order reads through the link tables, and the pages are the same either
    way."""
    role = listings[0]
    Initiative.objects.filter(title__in=["Walk 07", "Walk 14", "Walk 21"]).update(
        state="CO", welcomes_newcomers=True
    )
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 1)
    rows = Initiative.objects.published().filter(roles=role)
    name, _, value = extra.partition("=")
    if name == "newcomers":
        rows = rows.filter(welcomes_newcomers=True)
    elif name == "state":
        rows = rows.filter(state=value)
    order = ["title", "pk"] if extra == "sort=name" else ["-published_at", "-pk"]
    expected = list(rows.order_by(*order).values_list("title", flat=True))
    assert len(expected) >= 2, expected
    query = {"role": [role.slug], name: [value]}
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
    with connection.cursor() as db:
        # Can that index answer the statement alone, in its order? On six rows the planner
        # prefers the plain date index (without the arrays), so it is dropped here (the test's
        # transaction puts it back), and so are a scan of the whole table, a bitmap and a sort.
        db.execute("DROP INDEX ini_visible_newest")
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            db.execute(f"SET LOCAL {setting} = off")
        db.execute("EXPLAIN " + keys[0])
        plan = "\n".join(row[0] for row in db.fetchall())
    assert "Index Only Scan using ini_visible_newest_terms" in plan, (keys[0], plan)
    assert "Sort" not in plan and "disable" not in plan.lower(), plan


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
