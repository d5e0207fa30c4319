"""Every kind of public URL runs a fixed number of SQL queries when nothing is cached.

Each URL is asked with an empty cache over 3 matching listings, then over 30: the number of
queries must be the same (no N+1 anywhere) and equal to the figure below, so a change that adds
a query to the uncached path fails here and says where (docs/benchmarks.md, the cold mix). Asked
again, the cached answer never costs more. On SQLite and PostgreSQL alike.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals.models import Goal
from roles.models import Role
from tests.factories import EventFactory, InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

#: URL (``{…}`` filled in per test) -> SQL queries it runs uncached, whatever the number of rows
#: (per database where they differ). With the whole cache emptied, pages that show the taxonomy
#: read it too (4 of their queries; otherwise once per process and taxonomy version), and so do
#: detail pages and API details, whose roles, goals and languages are the taxonomy's terms. A
#: page's listings get those terms in one statement (``taxonomy.with_terms``; none for
#: initiatives and organizations on PostgreSQL, below). Each
#: counted set of facets is two statements (the matching keys, then the counts over them;
#: directory/search/facets.py): one set for the facets not filtered on, one per facet that is.
#: When those keys are every match (no more than FACET_CAP) and no state or scope is chosen, a
#: list reads its page's keys among them, then their rows: one statement more than reading the
#: page through the filters again, but no statement after the facets applies a filter
#: (``ListingFilter.among_keys``).
KINDS = {
    "/": 10,
    "/initiatives/": 9,
    "/initiatives/?goal=reconciliation&state=CO": 12,
    # Link filters alone, two or more: PostgreSQL asks its planner how many should match
    # (``EXPLAIN``, not run); few, so it finds the list's own matches through the arrays on
    # their rows, which carry what the facets count (``ListingFilter.links_only``), and no
    # statement counts them over the keys again.
    "/initiatives/?goal=reconciliation&role={role}": 11,
    "/initiatives/?group=grassroots-citizens&scope=local": 12,
    # A list sorted by relevance or distance: the facets' first statement sorts the matches'
    # keys as it reads them, and the page's rows are read by key (no statement sorts again).
    # PostgreSQL first asks its planner how many a search should match (``EXPLAIN``, not run:
    # ``facets.estimated_matches``); ranking reads each match's row, and the facets' columns
    # come with it (``ScanOrder.reads_rows``): no statement counts them over the keys again.
    "/initiatives/?q=community": 8,
    # With a state too, PostgreSQL asks again for the words without the state (the state
    # facet's statement): it runs only when few should match (``facets._expects_more``).
    "/initiatives/?q=community&state=CO": {"sqlite": 10, "postgresql": 11},
    "/initiatives/?q=marimba": {"sqlite": 5, "postgresql": 6},
    "/initiatives/?near=80302&radius=25": 8,
    "/initiatives/?near=80302&radius=100&goal=reconciliation": 10,
    "/initiatives/?page=2&page_size=2": 9,
    "/initiatives/?view=map&state=CO": 11,
    # An embedded list shows no facets and no terms: the matching keys and total (one
    # statement, not two per set of facets), then the page's rows; and the taxonomy (4), for
    # the goal filter's choices.
    "/embed/initiatives/?goal=reconciliation&state=CO": 6,
    "/embed/events/?state=CO": 6,
    "{detail}": 8,
    "/organizations/?state=CO": 10,
    "/organizations/?goal=reconciliation&state=CO": 12,
    "{organization}": 11,
    "/events/?state=CO": 10,
    "{event}": 5,
    # The counts, and the taxonomy (4) for the goals and roles.
    "/coverage/": 5,
    "/coverage/?state=CO": 5,
    # API lists: the page's keys, then its rows (PostgreSQL: with their links and sources;
    # SQLite: one query per link table, one for the sources), (organizations) networks; and the
    # taxonomy (4).
    "/api/v1/initiatives/?goal=reconciliation&state=CO&newcomers=true": {
        "sqlite": 11,
        "postgresql": 7,
    },
    # An API detail is built as the lists' rows are: its row (PostgreSQL: with its links and
    # sources; SQLite: one query per link table, one for the sources), and the taxonomy (4).
    "{api_detail}": {"sqlite": 9, "postgresql": 5},
    "/api/v1/organizations/?state=CO": {"sqlite": 12, "postgresql": 8},
    "/api/v1/events/?state=CO": 6,
    # Fewer on PostgreSQL: it writes the CSV itself (COPY), and the feed reads each row's links
    # and sources with the row (SQLite: one query per link table and type, one for sources) and
    # its candidates, the rows and deletions of three types, in one statement (SQLite: six).
    "/api/v1/changes/?limit=100": {"sqlite": 26, "postgresql": 13},
    "/api/v1/initiatives/?format=csv&goal=reconciliation&state=CO": {"sqlite": 9, "postgresql": 7},
}


# PostgreSQL reads a listing's roles, goals and languages with its row (the arrays kept on it
# for the facets: ``facet_terms.with_arrays``); SQLite reads them in one statement of their
# own. So an initiative or organization list that shows cards, and an initiative's or
# organization's page, run one fewer there (not a search that finds nothing: no card, no
# statement either way).
for _template, _count in list(KINDS.items()):
    shows_cards = _template.startswith(("/initiatives/", "/organizations/"))
    if (shows_cards and "marimba" not in _template) or _template in ("{detail}", "{organization}"):
        _count = _count if isinstance(_count, dict) else {"sqlite": _count, "postgresql": _count}
        KINDS[_template] = {**_count, "postgresql": _count["postgresql"] - 1}


def add_listings(n: int) -> None:
    roles = list(Role.objects.filter(group__slug="grassroots-citizens")[:2])
    goal = Goal.objects.get(slug="reconciliation")
    for i in range(n):
        org = OrganizationFactory(postal_code="80302", roles=roles[:1], goals=[goal])
        InitiativeFactory(
            organization=org,
            title=f"Community circle {i}",
            summary="A community project.",
            postal_code="80302",
            roles=roles,
            goals=[goal],
            languages=["en", "es"],
            welcomes_newcomers=True,
            published_at=timezone.now(),
        )
        EventFactory(organization=org, roles=roles, goals=[goal], languages=["en"])


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.content[:300])
    return len(captured.captured_queries)


def uncached_then_cached(client, urls: dict[str, str]) -> dict[str, tuple[int, int]]:
    """{template: (queries with an empty cache, queries asked again at once)}."""
    out = {}
    for template, url in urls.items():
        cache.clear()
        out[template] = (queries(client, url), queries(client, url))
    return out


def test_queries_are_fixed_at_3_and_at_30_results(client):
    """Every URL of ``KINDS`` in one test: the listings are made once for all of them (3, then
    27 more), not once per URL (thirty times over: most of this module's time in CI)."""
    add_listings(3)
    first = InitiativeFactory(postal_code="80302")
    # on the initiative's page and its organization's (their next events: one each)
    event = EventFactory(organization=first.organization, initiative=first)
    role = Role.objects.filter(group__slug="grassroots-citizens").first()
    urls = {
        template: template.format(
            detail=first.get_absolute_url(),
            api_detail=f"/api/v1/initiatives/{first.uuid}/",
            organization=first.organization.get_absolute_url(),
            event=event.get_absolute_url(),
            role=role.slug,
        )
        for template in KINDS
    }
    few = uncached_then_cached(client, urls)
    add_listings(27)
    many = uncached_then_cached(client, urls)
    expected = {
        template: count[connection.vendor] if isinstance(count, dict) else count
        for template, count in KINDS.items()
    }
    found = {template: (few[template][0], many[template][0]) for template in KINDS}
    assert found == {template: (n, n) for template, n in expected.items()}
    # Asked again, the cached answer never costs more.
    assert {t: c for t, (u, c) in many.items() if c > u} == {}


def test_link_tables_are_indexed_by_term_then_listing():
    """Migration 0021: a goal, role or language filter reads (term, listing) from an index."""
    for owner in ("initiative", "organization", "event"):
        for field, term in (
            ("goals", "goal_id"),
            ("roles", "role_id"),
            ("languages", "language_id"),
        ):
            table = f"directory_{owner}_{field}"
            with connection.cursor() as cursor:
                indexes = connection.introspection.get_constraints(cursor, table).values()
            assert [term, f"{owner}_id"] in [i["columns"] for i in indexes if i["index"]], table


def test_the_visible_initiatives_have_the_indexes_their_searches_read():
    """Migrations 0023 to 0025: visible keys alone and by state, statewide work by state, and
    (PostgreSQL) full text over the visible rows only; each partial, over ``visible``."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "directory_initiative")
        definitions = {}
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
                ["directory_initiative"],
            )
            definitions = dict(cursor.fetchall())
    assert found["ini_visible_id"]["columns"] == ["id"]
    assert found["ini_visible_state_id"]["columns"] == ["state", "id"]
    assert found["ini_visible_state_scope"]["columns"] == ["state", "scope"]
    if connection.vendor == "postgresql":
        for name in (
            "ini_visible_id",
            "ini_visible_state_id",
            "ini_visible_state_scope",
            "ini_visible_search_gin",
        ):
            assert definitions[name].endswith("WHERE visible"), definitions[name]
        assert "USING gin (search_vector)" in definitions["ini_visible_search_gin"]


@pytest.mark.parametrize("type_name", ["event", "initiative", "organization"])
def test_the_change_feeds_deletions_are_read_from_their_own_index(type_name):
    """Migration 0027: each page of the change feed reads the deletions after its cursor from a
    partial index of deletions by time. With only the index of every history row by time,
    PostgreSQL read every edit since then to find them (at a million history rows: 150 to 177 ms
    a type and page for a full sync or a month, against under 0.4 ms;
    docs/benchmarks-feed-history.md)."""
    from directory.api.changes import EPOCH, TYPES, Key, deletions

    model = TYPES[type_name]
    cursor_key = Key(timezone.now(), type_name, "00000000-0000-0000-0000-000000000000")
    for cursor in (None, cursor_key):
        query = deletions(model, type_name, EPOCH, cursor, 101)
        sql, params = query.query.sql_with_params()
        with connection.cursor() as db:
            if connection.vendor == "postgresql":
                db.execute("SET LOCAL enable_seqscan = off")  # the tables are nearly empty here
                db.execute("EXPLAIN " + sql, params)
            else:
                db.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row) for row in db.fetchall())
        assert f"{type_name[:8]}_hist_removed" in plan, plan


def test_a_states_organizations_are_read_in_name_order_from_their_own_index():
    """Migration 0028: a page of a state's organizations (the list's order: by name), with a
    goal too, walks an index of the published organizations by state and name and stops at the
    page's end. With only the index by status and name, PostgreSQL walked every published
    organization by name and dropped the other states' (at 100,000 organizations, a state and a
    goal: 10,901 rows for 21, 50 ms; with it 1 ms)."""
    from django.http import QueryDict

    from directory.models import Organization, Status
    from directory.search.filters import OrganizationFilter

    # Enough organizations, in eleven states, for the planner's statistics to tell the plans
    # apart (over a nearly empty table PostgreSQL may pick either index and sort).
    states = ["CO", "NY", "CA", "TX", "WA", "OR", "UT", "NM", "AZ", "NV"]
    now = timezone.now()
    Organization.objects.bulk_create(
        Organization(
            name=f"Organization {i:04d}",
            slug=f"organization-{i:04d}",
            summary="Synthetic.",
            state=states[i % 10] if i % 40 < 20 else "MT",
            status=Status.PUBLISHED,
            published_at=now,
        )
        for i in range(4000)
    )
    goal = Goal.objects.get(slug="reconciliation")
    link = Organization.goals.through
    link.objects.bulk_create(
        link(organization_id=pk, goal_id=goal.pk)
        for pk in Organization.objects.filter(slug__startswith="organization-")
        .order_by("pk")
        .values_list("pk", flat=True)[::3]
    )
    with connection.cursor() as db:
        for table in (Organization._meta.db_table, link._meta.db_table):
            db.execute(f"ANALYZE {table}")
    for query in ("state=CO", "state=CO&goal=reconciliation"):
        filterset = OrganizationFilter(QueryDict(query), queryset=Organization.objects.published())
        assert filterset.is_valid(), filterset.errors
        sql, params = filterset.qs.values_list("pk", flat=True)[:20].query.sql_with_params()
        assert "ORDER BY" in sql
        with connection.cursor() as db:
            if connection.vendor == "postgresql":
                db.execute("EXPLAIN " + sql, params)
            else:
                db.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row) for row in db.fetchall())
        assert "org_status_state_name" in plan, plan
        assert "TEMP B-TREE" not in plan.upper() and "Sort" not in plan, plan
