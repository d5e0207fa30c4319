"""A search ranked by relevance reads every match's row to rank it; on PostgreSQL the columns
the facets count (state, scope and the arrays of terms) come with it, and the counts are made
from those rows instead of a second statement that reads the matches again by key
(``ScanOrder.reads_rows``, ``facets._tally``). The counts must be those of the second
statement and of counting the listings one by one, on both databases."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from directory.models import Initiative
from directory.search import facets, filters
from directory.search.pagination import ScanOrder
from tests.find.test_covered_counts import listings  # noqa: F401 (the fixture harbor builds on)
from tests.find.test_facet_arrays import counted, from_scratch

pytestmark = pytest.mark.django_db

QUERIES = [
    "q=harbor",
    "q=harbor&state=CO",
    "q=harbor&goal={goal}",
    "q=harbor&group={group}&scope=local",
    "q=harbor&language=es&state=NY",
    "q=harbor&role={role}",
    "q=harbor+cleanup",
    "q=zeppelin",
]


@pytest.fixture
def harbor(request):
    """``test_covered_counts``'s listings (six places and scopes, thrice; two roles each, one or
    two goals, some in Spanish; one not visible), two in three of them about a harbor."""
    terms = request.getfixturevalue("listings")
    for n, listing in enumerate(Initiative.objects.order_by("pk")):
        listing.title = ["Harbor cleanup", "Harbor watch", "Town garden"][n % 3] + f" {n}"
        listing.save(update_fields=["title"])
    return terms


def reference(query: str) -> dict:
    """The counts from each matching listing's own links, in Python (``from_scratch``), among
    the listings the words (and the role, not a facet) find."""
    params = QueryDict(query)
    facets = QueryDict(mutable=True)
    for key in params:
        if key not in ("q", "role"):
            facets.setlist(key, params.getlist(key))
    found = Initiative.objects.published().search(params["q"])
    if "role" in params:
        found = found.filter(roles__slug__in=params.getlist("role"))
    return from_scratch(facets.urlencode(), among=list(found.values_list("pk", flat=True)))


def _by_statement(query: str, monkeypatch) -> dict:
    """The counts as they were made before: a second statement over the matches' keys."""

    def not_carried(*args, **kwargs):
        return ScanOrder(*args, **{**kwargs, "reads_rows": False})

    with monkeypatch.context() as patch:
        patch.setattr(filters, "ScanOrder", not_carried)
        return counted(query)


def test_the_counts_are_those_of_every_match(harbor, monkeypatch):
    for query in QUERIES:
        query = query.format(**harbor)
        counts = counted(query)
        assert counts == reference(query), query
        assert counts == _by_statement(query, monkeypatch), query
    assert counted("q=harbor")["group"][harbor["group"]] > 0  # something was counted
    # two goals (either of them; ``from_scratch`` takes one value per facet): as before
    query = "q=harbor&goal={goal}&goal={other_goal}".format(**harbor)
    assert counted(query) == _by_statement(query, monkeypatch)


def test_postgresql_counts_a_search_without_reading_its_matches_again(harbor, monkeypatch):
    """One statement ranks the matches and carries what the facets count; on SQLite a second
    statement counts them over the keys, as for any list, and so does PostgreSQL when its
    planner expects more matches than ``CARRY_ESTIMATE_CAP``."""
    filterset = filters.InitiativeFilter(
        QueryDict("q=harbor"), queryset=Initiative.objects.published()
    )
    assert filterset.is_valid()
    assert filterset.scan_order().reads_rows

    def counting_statements() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            counts = counted("q=harbor")
        assert counts == reference("q=harbor")
        return [q["sql"] for q in captured.captured_queries if "COUNT(*) FROM" in q["sql"]]

    assert len(counting_statements()) == (0 if connection.vendor == "postgresql" else 1)
    monkeypatch.setattr(facets, "CARRY_ESTIMATE_CAP", 0)  # "more than expected": not carried
    assert len(counting_statements()) == 1


def test_an_organization_search_counts_from_the_rows_it_ranked_too(on_postgres):
    """Organizations carry the arrays as well (migration 0034): their searches are counted the
    same way, and right."""
    from directory.models import Language, Organization
    from goals.models import Goal
    from roles.models import Role
    from tests.factories import OrganizationFactory

    roles = list(Role.objects.select_related("group").order_by("number")[:3])
    goals = list(Goal.objects.order_by("number")[:3])
    spanish = Language.objects.get_or_create(code="es", defaults={"name": "es"})[0]
    for n, place in enumerate(["80302", "80202", "10001", "94110", "80302", "10001"]):
        org = OrganizationFactory(
            name=["Harbor Friends", "Harbor Trust", "Garden Club"][n % 3] + f" {'abcdef'[n]}",
            postal_code=place,
            scope=["local", "state"][n % 2],
            roles=roles[n % 3 :],
            goals=goals[: 1 + n % 3],
        )
        if n % 2:
            org.languages.add(spanish)
    among = list(Organization.objects.published().search("harbor").values_list("pk", flat=True))
    assert len(among) == 4
    for query in ["q=harbor", "q=harbor&state=CO", f"q=harbor&goal={goals[1].slug}"]:
        facets_only = "&".join(p for p in query.split("&") if not p.startswith("q="))
        with CaptureQueriesContext(connection) as captured:
            counts = counted(query, Organization)
        assert counts == from_scratch(facets_only, among=among, model=Organization), query
        counting = [q["sql"] for q in captured.captured_queries if "COUNT(*) FROM" in q["sql"]]
        if on_postgres and query == "q=harbor":
            assert counting == []  # carried with the ranking: no statement counts them again
