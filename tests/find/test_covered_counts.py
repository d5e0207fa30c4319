"""A list's facet counts over a state or a scope alone read its matches again through that
column's index that carries the arrays (``ListingFilter.covered``, ``facets._counts``); with
any other filter they read each match's row by its key, as before. Either way the counts are
those of reading by key and of counting the listings one by one, on both databases; on
PostgreSQL the covered statement reads that index alone."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from directory.models import Initiative, Language
from directory.search.filters import InitiativeFilter, ListingFilter
from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory
from tests.find.plans import plan_with_only
from tests.find.test_facet_arrays import counted, from_scratch

pytestmark = pytest.mark.django_db

#: lists whose every statement is bounded by a state or a scope, with link filters or none
QUERIES = [
    "state=CO",
    "state=CO&goal={goal}",
    "state=CO&role={role}",
    "state=CO&goal={goal}&role={role}",
    "scope=local&group={group}",
    "scope=local&state=CO&language=es",
    "state=CO&kind={kind}&sort=name",
    "state=NY&scope=state&goal={goal}",
]


@pytest.fixture
def listings():
    roles = list(Role.objects.select_related("group").order_by("number")[:6])
    goals = list(Goal.objects.order_by("number")[:4])
    spanish = Language.objects.get_or_create(code="es", defaults={"name": "Spanish"})[0]
    places = [("80302", "local"), ("80202", "state"), ("80301", "regional"), ("10001", "local")]
    places += [("10001", "state"), ("12207", "state")]
    for n, (zip_code, scope) in enumerate(places * 3):
        listing = InitiativeFactory(
            postal_code=zip_code,
            scope=scope,
            roles=[roles[n % 6], roles[(n + 2) % 6]],
            goals=[goals[n % 4]] + ([goals[(n + 1) % 4]] if n % 3 == 0 else []),
        )
        if n % 4 == 0:
            listing.languages.add(spanish)
    # not visible: never counted
    InitiativeFactory(postal_code="80302", status="pending", roles=roles[:1], goals=goals[:1])
    return {
        "goal": goals[0].slug,
        "other_goal": goals[2].slug,
        "role": roles[2].slug,
        "group": roles[0].group.slug,
        "kind": roles[0].group.kind,
    }


def reference(query: str) -> dict:
    """The counts from each listing's own links in Python, as ``from_scratch``, with the role
    and kind filters too (not facets: they only narrow every facet's listings; any of the
    roles, and of the kinds, given, as the filters mean)."""
    params = QueryDict(query)
    wanted_roles, wanted_kinds = set(params.getlist("role")), set(params.getlist("kind"))
    if not wanted_roles and not wanted_kinds:
        return from_scratch(query)
    facets = QueryDict(mutable=True)
    for key in params:
        if key not in ("role", "kind", "sort"):
            facets.setlist(key, params.getlist(key))
    keep = []
    for listing in Initiative.objects.published().prefetch_related("roles__group"):
        roles = {r.slug for r in listing.roles.all()}
        kinds = {r.group.kind for r in listing.roles.all()}
        if (not wanted_roles or wanted_roles & roles) and (
            not wanted_kinds or wanted_kinds & kinds
        ):
            keep.append(listing.pk)
    return from_scratch(facets.urlencode(), among=keep)


def _by_keys(query: str, monkeypatch) -> dict:
    """The counts as they were read before: each match's row by its key."""
    with monkeypatch.context() as patch:
        patch.setattr(ListingFilter, "covered", lambda self, without=frozenset(): False)
        return counted(query)


def test_the_counts_are_those_of_every_match(listings, monkeypatch):
    for query in QUERIES:
        query = query.format(**listings)
        counts = counted(query)
        assert counts == reference(query), query
        assert counts == _by_keys(query, monkeypatch), query
    # two goals (either of them): as read by key
    query = "state=NY&goal={goal}&goal={other_goal}&role={role}".format(**listings)
    assert counted(query) == _by_keys(query, monkeypatch)
    # the fixture's lists are counted (none above the cap), and not trivially
    assert sum(counted("state=CO")["goal"].values()) > 6


def _filterset(query: str) -> InitiativeFilter:
    filterset = InitiativeFilter(QueryDict(query), queryset=Initiative.objects.published())
    assert filterset.is_valid(), filterset.errors
    return filterset


def test_which_statements_are_covered(listings):
    postgres = connection.vendor == "postgresql"
    goal, group = listings["goal"], listings["group"]
    for query, without, expected in [
        ("state=CO", (), postgres),
        ("scope=local&sort=name", (), postgres),
        ("state=CO&scope=local", (), postgres),
        # a link filter too: its matches may be a few of the state's (or scope's) range
        (f"state=CO&goal={goal}", (), False),
        # the goal facet's statement (the state alone) and the state facet's (the goal alone)
        (f"state=CO&goal={goal}", ("goal",), postgres),
        (f"state=CO&goal={goal}", ("state",), False),
        (f"scope=local&group={group}", ("group",), postgres),
        (f"goal={goal}", (), False),
        ("state=CO&q=water", (), False),
        ("state=CO&near=80302", (), False),
        ("state=CO&newcomers=true", (), False),
        ("", (), False),
    ]:
        assert _filterset(query).covered(frozenset(without)) is expected, (query, without)


def _counting(client, params: dict) -> list[str]:
    """The facets' counting statements of a list, in the order they ran (PostgreSQL)."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/initiatives/", params)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("WITH m AS")]


def test_a_state_alone_is_counted_through_its_index(client, listings):
    """PostgreSQL: the statement that counts a state's facets finds its matches in
    ``ini_visible_state_terms`` with an index-only scan, the state as its condition, and no
    key. Every other index that could serve a part of it (the scope's, which carries the
    same columns, too) is dropped inside the test's transaction, and sequential and bitmap
    scans are off (``plan_with_only``): on a few rows the planner would otherwise prefer
    whatever is smallest."""
    counting = _counting(client, {"state": "CO"})
    if connection.vendor != "postgresql":
        assert not counting  # SQLite counts over the link tables, without the arrays
        return
    # the list's own facets, then the state facet's (every visible listing: by key)
    assert len(counting) == 2, counting
    assert "ANY(" not in counting[0] and "ANY(" in counting[1], counting
    plan = plan_with_only("ini_visible_state_terms", counting[0], "bitmapscan")
    assert "Index Only Scan using ini_visible_state_terms" in plan, plan
    condition = plan.split("Index Only Scan using ini_visible_state_terms")[1].split("\n")[1]
    assert "Index Cond" in condition and "state" in condition and "'CO'" in condition, plan
    assert "directory_initiative_pkey" not in plan, plan


def test_with_a_link_filter_the_matches_are_read_by_key(client, listings):
    """A state and a goal: the facets not filtered on are counted over the matches' keys;
    the goal's facet, over the state alone, through the state's index."""
    counting = _counting(client, {"state": "CO", "goal": listings["goal"]})
    if connection.vendor != "postgresql":
        assert not counting
        return
    # the list's own (facets not filtered on), the state facet's (the goal alone), the goal
    # facet's (the state alone): only the last is over a state alone
    assert len(counting) == 3, counting
    by_key = [sql for sql in counting if "ANY(" in sql]
    through = [sql for sql in counting if "ANY(" not in sql]
    assert len(by_key) == 2 and len(through) == 1, counting
    assert "'CO'" in through[0] and 'facet_goal_ids" &&' not in through[0], through[0]
