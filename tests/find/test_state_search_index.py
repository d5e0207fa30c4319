"""Words searched within a state are read from one index of both on PostgreSQL (migration 0033,
``ini_visible_state_search``: GIN over the state and the words), not from the words' whole list
of matches combined with the state's. These hold the page's matches and check the plan."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import InitiativeFactory
from tests.find.plans import plan_with_only

pytestmark = pytest.mark.django_db

URL = "/initiatives/"


@pytest.fixture
def listings():
    InitiativeFactory(title="Ohio election watch", state="OH", summary="Elections, watched.")
    InitiativeFactory(title="Ohio poll workers", state="OH", summary="Working at elections.")
    InitiativeFactory(title="Ohio book club", state="OH", summary="Reading together.")
    InitiativeFactory(title="Texas election watch", state="TX", summary="Elections, watched.")
    InitiativeFactory(
        title="Hidden Ohio election watch", state="OH", summary="Elections.", status="pending"
    )


def test_a_search_within_a_state_finds_the_states_matches(client, listings):
    cache.clear()
    response = client.get(URL, {"q": "elections", "state": "OH"})
    assert response.status_code == 200
    shown = sorted(obj.title for obj in response.context["object_list"])
    assert shown == ["Ohio election watch", "Ohio poll workers"]


def test_the_index_holds_the_state_and_the_words_of_visible_initiatives():
    if connection.vendor != "postgresql":
        return  # SQLite searches with LIKE: no full-text index
    with connection.cursor() as db:
        db.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ini_visible_state_search'")
        (definition,) = db.fetchone()
    assert "USING gin (state, search_vector) WHERE visible" in definition, definition


def test_a_search_within_a_state_reads_the_index_of_both(client, listings):
    """PostgreSQL: the statement that reads the matches' keys (and ranks them) finds them
    through ``ini_visible_state_search``. Every other index that could serve a part of it is
    dropped inside the test's transaction, and no scan of the whole table is allowed: on five
    rows the planner would otherwise prefer whatever is smallest."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"q": "elections", "state": "OH"})
    keys = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT m.*")]
    assert keys, [q["sql"][:80] for q in queries.captured_queries]
    if connection.vendor != "postgresql":
        return
    plan = plan_with_only("ini_visible_state_search", keys[0])
    assert "Bitmap Index Scan on ini_visible_state_search" in plan, plan
    assert "state" in plan.split("ini_visible_state_search")[1].split("\n")[1], plan


def _state_facet(response) -> dict:
    return {o.value: o.count for o in response.context["facets"]["state"]}


def test_the_state_facet_of_a_search_is_counted_when_few_match_without_the_state(client, listings):
    """The words alone match three visible listings: the state facet, which leaves the state
    out, has its counts on both databases."""
    cache.clear()
    response = client.get(URL, {"q": "elections", "state": "OH"})
    counts = _state_facet(response)
    assert (counts["OH"], counts["TX"]) == (2, 1)


def _estimating_many_without_the_state(monkeypatch):
    """The planner's estimate made large for every statement without the state."""
    from directory.search import facets

    real = facets.estimated_matches

    def estimate(queryset):
        found = real(queryset)
        if found is not None and '"state" =' not in str(queryset.query):
            return facets.LEFT_OUT_ESTIMATE_CAP + 1
        return found

    monkeypatch.setattr(facets, "estimated_matches", estimate)


@pytest.mark.parametrize(
    "query",
    [{"scope": "local", "state": "OH"}, {"q": '"election watch"', "state": "OH"}],
    ids=["no words", "a quoted phrase"],
)
def test_without_words_or_with_a_phrase_a_left_out_facet_is_always_counted(
    client, listings, monkeypatch, query
):
    """Only a search of words skips a left-out facet on the planner's estimate: without words
    (the estimate of a link filter's statement is no guide) or with a quoted phrase (estimated
    as if its words were apart) the state facet is counted, however many the planner expects."""
    _estimating_many_without_the_state(monkeypatch)
    cache.clear()
    counts = _state_facet(client.get(URL, query))
    expected = (3, 1) if "scope" in query else (1, 1)  # the phrase: one in each state
    assert (counts["OH"], counts["TX"]) == expected


def test_the_state_facet_is_not_counted_when_the_planner_expects_many_without_the_state(
    client, listings, monkeypatch
):
    """PostgreSQL: when the planner expects far more matches for the words without the state
    than the facets count (``facets.LEFT_OUT_ESTIMATE_CAP``), that statement does not run and
    the state's choices come without counts; the other facets (every filter applied) keep
    theirs. Here the planner's estimate is made large for statements without the state."""
    _estimating_many_without_the_state(monkeypatch)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"q": "elections", "state": "OH"})
    keys = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT m.*")]
    counts = _state_facet(response)
    scopes = {o.value: o.count for o in response.context["facets"]["scope"]}
    assert scopes["local"] == 2  # counted with every filter
    if connection.vendor != "postgresql":  # no estimate: counted as before
        assert (counts["OH"], counts["TX"]) == (2, 1)
        assert len(keys) == 2
        return
    assert set(counts.values()) == {None}
    assert len(keys) == 1 and "'OH'" in keys[0], keys
