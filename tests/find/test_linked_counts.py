"""A list chosen by two or more link filters and nothing else (a goal and a role, say) finds its
matches on PostgreSQL through the arrays on the rows, from the index of the visible initiatives
by their terms (migration 0037), and counts its facets from those rows
(``ListingFilter.links_only``, ``facets._counts``'s ``carry``) instead of a second statement
that reads every match again by key. The counts must be those of the link tables' way and of
counting the listings one by one, on both databases."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

import directory.search.facets
from directory.models import Initiative
from directory.search.filters import InitiativeFilter, ListingFilter
from tests.find.plans import plan_with_only
from tests.find.test_covered_counts import listings, reference  # noqa: F401 (the fixture terms builds on)
from tests.find.test_facet_arrays import counted

pytestmark = pytest.mark.django_db

#: lists chosen by link filters alone, two or more of them
QUERIES = [
    "goal={goal}&role={role}",
    "goal={other_goal}&role={role}",
    "group={group}&language=es",
    "goal={goal}&kind={kind}",
    "goal={goal}&group={group}&language=es",
    "role={role}&language=es&sort=name",
    "group={group}&kind={kind}",  # both read the roles' array
]


@pytest.fixture
def terms(request):
    """``test_covered_counts``'s listings (six places and scopes, thrice; two roles each, one
    or two goals, some in Spanish; one not visible) and the terms to filter them by."""
    return request.getfixturevalue("listings")


def _by_link_tables(query: str, monkeypatch) -> dict:
    """The counts as they were made before: the keys through the link tables, then a second
    statement over them."""
    with monkeypatch.context() as patch:
        patch.setattr(ListingFilter, "links_only", lambda self: False)
        return counted(query)


def _filterset(query: str) -> InitiativeFilter:
    filterset = InitiativeFilter(QueryDict(query), queryset=Initiative.objects.published())
    assert filterset.is_valid(), filterset.errors
    return filterset


def test_the_counts_are_those_of_every_match(terms, monkeypatch):
    for query in QUERIES:
        query = query.format(**terms)
        with CaptureQueriesContext(connection) as captured:
            counts = counted(query)
        own = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT m.")]
        # PostgreSQL took the arrays' way (else the two ways below would be one)
        assert (" && " in own[0]) is (connection.vendor == "postgresql"), query
        assert counts == reference(query), query
        assert counts == _by_link_tables(query, monkeypatch), query
        assert sum(counts["state"].values()) > 0, query  # something was counted
    # two goals (either of them; ``reference`` takes one value per facet): as before
    query = "goal={goal}&goal={other_goal}&role={role}".format(**terms)
    assert counted(query) == _by_link_tables(query, monkeypatch)


def test_over_the_cap_nothing_is_counted_as_before(terms, monkeypatch):
    """More matches than FACET_CAP: the list's total is still right and no facet is counted
    (the carried columns are not even sent)."""
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", 2)
    query = "goal={goal}&kind={kind}".format(**terms)
    filterset = _filterset(query)
    with CaptureQueriesContext(connection) as captured:
        found = directory.search.facets.facet_counts(filterset)
    assert all(option.count is None for options in found.values() for option in options)
    assert filterset.match_count == 3  # capped at FACET_CAP + 1, as before
    if connection.vendor == "postgresql":  # the statement again: keys and total, nothing else
        own = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT m.")]
        assert " && " in own[0], own
        with connection.cursor() as db:
            db.execute(own[0])
            rows = db.fetchall()
        assert len(rows) == 3 and all(row[0] and row[-1] > 2 for row in rows), rows
        assert all(value is None for row in rows for value in row[1:-1]), rows
    assert counted(query) == _by_link_tables(query, monkeypatch) == {key: {} for key in found}
    # exactly FACET_CAP matches: the list's own facets are counted, carried columns and all
    # (the goal facet's statement, the kind alone, matches more: not counted, either way)
    expected = reference(query)
    monkeypatch.setattr(directory.search.facets, "FACET_CAP", sum(expected["scope"].values()))
    counts = counted(query)
    assert counts == _by_link_tables(query, monkeypatch)
    assert counts["goal"] == {} and counts["state"], counts
    assert {**counts, "goal": {}} == {**expected, "goal": {}}


def test_when_many_should_match_the_link_tables_find_them(terms, monkeypatch):
    """Above ``LINKED_ESTIMATE_CAP`` expected matches (PostgreSQL's planner asked first) the
    list's matches come through the link tables, and are counted over their keys, as before:
    the arrays' index gives every match before the first row is read."""
    query = "goal={goal}&role={role}".format(**terms)
    params = {"goal": terms["goal"], "role": terms["role"]}
    statements = _statements(_client(), params)
    assert any(" && " in sql for sql in statements if sql.startswith("SELECT m.")) is (
        connection.vendor == "postgresql"
    )
    monkeypatch.setattr(directory.search.facets, "LINKED_ESTIMATE_CAP", 0)
    statements = _statements(_client(), params)
    first = [sql for sql in statements if sql.startswith("SELECT m.")]
    assert first and not any(" && " in sql for sql in first), first
    assert any("directory_initiative_goals" in sql for sql in first), first
    assert counted(query) == reference(query) == _by_link_tables(query, monkeypatch)


def test_an_embedded_list_reads_its_keys_as_before(terms):
    """An embedded list counts no facets: nothing to carry, so its keys come through the link
    tables, without asking the planner first."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = _client().get(
            "/embed/initiatives/", {"goal": terms["goal"], "role": terms["role"]}
        )
    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert not any(sql.startswith("EXPLAIN") for sql in statements), statements
    assert not any(" && " in sql for sql in statements), statements


def _client():
    from django.test import Client

    return Client()


def test_which_lists_are_chosen_by_links_alone(terms):
    postgres = connection.vendor == "postgresql"
    goal, role, group = terms["goal"], terms["role"], terms["group"]
    for query, expected in [
        (f"goal={goal}&role={role}", postgres),
        (f"goal={goal}&role={role}&sort=name&page=2", postgres),
        (f"group={group}&language=es", postgres),
        # one link filter (even with two values): its link table's index, as before
        (f"goal={goal}", False),
        (f"role={role}&role={role}", False),
        # another filter too: its own index finds the matches
        (f"goal={goal}&role={role}&state=CO", False),
        (f"goal={goal}&role={role}&scope=local", False),
        (f"goal={goal}&role={role}&q=water", False),
        (f"goal={goal}&role={role}&near=80302", False),
        (f"goal={goal}&role={role}&newcomers=true", False),
        ("", False),
    ]:
        assert _filterset(query).links_only() is expected, query


def _statements(client, params: dict) -> list[str]:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/initiatives/", params)
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count > 0
    return [q["sql"] for q in queries.captured_queries]


def test_a_goal_and_a_role_are_counted_in_one_statement_from_their_index(client, terms):
    """PostgreSQL: the list's matches come from ``ini_visible_terms_gin`` (every other index of
    the initiatives dropped inside the test's transaction, sequential scans off:
    ``plan_with_only``), with the columns the facets count, and no statement counts the list's
    facets over its keys; SQLite counts over the link tables, as before."""
    params = {"goal": terms["goal"], "role": terms["role"]}
    statements = _statements(client, params)
    first = [sql for sql in statements if sql.startswith("SELECT m.")]
    over_keys = [sql for sql in statements if sql.startswith("WITH m AS") or "COUNT(*) FROM" in sql]
    if connection.vendor != "postgresql":
        assert over_keys and not any(" && " in sql for sql in first)
        return
    # the list's own facets (carried), then the goal facet's: the role alone (a role is no
    # facet), through its link table, its few matches counted over their keys
    assert len(first) == 2, first
    own, role_alone = first
    assert " && " in own and "_link_goals" in own and "directory_initiative_goals" not in own
    assert " && " not in role_alone and "directory_initiative_roles" in role_alone
    assert len(over_keys) == 1, over_keys  # the goal facet's, not the list's own
    plan = plan_with_only("ini_visible_terms_gin", own)
    assert "Bitmap Index Scan on ini_visible_terms_gin" in plan, plan
    condition = plan.split("Bitmap Index Scan on ini_visible_terms_gin")[1].split("\n")[1]
    assert "facet_goal_ids &&" in condition and "facet_role_ids &&" in condition, plan


def test_the_index_holds_the_terms_of_visible_initiatives():
    if connection.vendor != "postgresql":
        return  # SQLite keeps no arrays
    with connection.cursor() as db:
        db.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ini_visible_terms_gin'")
        (definition,) = db.fetchone()
    assert (
        "USING gin (facet_role_ids, facet_goal_ids, facet_language_ids) WHERE visible" in definition
    ), definition
