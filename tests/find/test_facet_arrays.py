"""The facet counts of a list, after every kind of write to the links: equal to counting the
listings one by one. On PostgreSQL they come from the arrays of terms the database keeps on
each initiative's and organization's row (``directory.services.facet_terms``), so these tests
also hold the arrays equal to the links; on SQLite they come from the link tables."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict

from directory.models import Initiative, Language, Organization
from directory.search.facets import FACETS, facet_counts
from directory.search.filters import InitiativeFilter, OrganizationFilter
from directory.services import facet_terms
from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

QUERIES = ["", "state=CO", "goal={goal}", "state=CO&goal={goal}", "group={group}&scope=local"]


@pytest.fixture
def terms():
    roles = list(Role.objects.select_related("group").order_by("number")[:6])
    goals = list(Goal.objects.order_by("number"))
    languages = [
        Language.objects.get_or_create(code=c, defaults={"name": c})[0] for c in ("es", "fr")
    ]
    return roles, goals, languages


FILTERS = {Initiative: InitiativeFilter, Organization: OrganizationFilter}


def counted(query: str, model=Initiative) -> dict:
    """{facet: {value: count}} as the list shows them (counted facets only)."""
    filterset = FILTERS[model](QueryDict(query), queryset=model.objects.published())
    return {
        key: {option.value: option.count for option in options if option.count}
        for key, options in facet_counts(filterset).items()
    }


def from_scratch(query: str, among=None, model=Initiative) -> dict:
    """The same, counted from each matching listing's links in Python. A facet's counts leave
    its own filter out (the usual meaning of facet counts). ``among``: only these listings'
    keys (narrowed by filters that are not facets), else every published one."""
    params = QueryDict(query)
    out = {key: Counter() for key in FACETS}
    listings = model.objects.published().prefetch_related("roles__group", "goals", "languages")
    if among is not None:
        listings = listings.filter(pk__in=among)
    for listing in listings:
        values = {
            "state": {listing.state} - {""},  # no place given: not among the states
            "scope": {listing.scope},
            "goal": {g.slug for g in listing.goals.all()},
            "group": {r.group.slug for r in listing.roles.all()},
            "language": {lang.code for lang in listing.languages.all()},
        }
        for key in FACETS:
            others = [k for k in FACETS if k in params and k != key]
            if all(params[k] in values[k] for k in others):
                out[key].update(values[key])
    return {key: dict(counts) for key, counts in out.items()}


def arrays_equal_links() -> bool:
    """PostgreSQL: every initiative's and organization's arrays hold exactly its links (in any
    order)."""
    if not facet_terms.available(connection):
        return True
    return all(_arrays_equal_links(model) for model in (Initiative, Organization))


def _arrays_equal_links(model) -> bool:
    for name, array in facet_terms.ARRAYS.items():
        field = model._meta.get_field(name)
        through = field.remote_field.through
        links = Counter(
            through.objects.values_list(field.m2m_column_name(), field.m2m_reverse_name())
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, unnest({array}) FROM {model._meta.db_table}")
            kept = Counter(cursor.fetchall())
        if kept != links:
            return False
    return True


def assert_right(goal: str, group: str, model=Initiative):
    assert arrays_equal_links()
    for query in QUERIES:
        query = query.format(goal=goal, group=group)
        assert counted(query, model) == from_scratch(query, model=model), query


@pytest.mark.parametrize(
    "model, factory", [(Initiative, InitiativeFactory), (Organization, OrganizationFactory)]
)
def test_every_kind_of_link_write_keeps_the_facet_counts_right(terms, model, factory):
    roles, goals, (spanish, french) = terms
    a = factory(postal_code="80302", scope="local", roles=roles[:2], goals=goals[:2])
    b = factory(postal_code="80202", scope="state", roles=roles[1:4], goals=goals[1:3])
    c = factory(postal_code="10001", scope="local", roles=[roles[5]], goals=[goals[0]])
    goal, group = goals[1].slug, roles[1].group.slug
    assert_right(goal, group, model)
    assert counted("state=CO", model)["goal"][goal] == 2
    Goals, Roles = model.goals.through, model.roles.through
    own = model._meta.model_name  # the link rows' field for the listing
    steps = [
        lambda: a.roles.add(roles[4]),
        lambda: a.languages.add(spanish, french),
        lambda: b.goals.remove(goals[1]),
        lambda: a.languages.remove(french),
        lambda: b.roles.clear(),
        lambda: b.roles.set(roles[2:6]),
        lambda: c.goals.set([goals[1], goals[2]]),
        # the link rows themselves, without the related managers
        lambda: Goals.objects.bulk_create([Goals(**{own: c}, goal=goals[3])]),
        lambda: Goals.objects.filter(**{own: c}, goal=goals[3]).update(goal=goals[4]),
        lambda: Roles.objects.filter(**{own: a}).delete(),
        lambda: b.delete(),
    ]
    for step in steps:
        step()
        assert_right(goal, group, model)


def test_a_deleted_term_leaves_no_count_behind(terms):
    roles, goals, (spanish, _french) = terms
    listing = InitiativeFactory(postal_code="80302", roles=roles[:2], goals=goals[:2])
    listing.languages.add(spanish)
    goals[0].delete()
    spanish.delete()
    assert_right(goals[1].slug, roles[0].group.slug)
    facets = counted("")
    assert goals[0].slug not in facets["goal"] and "es" not in facets.get("language", {})


def test_rebuild_writes_again_only_the_arrays_that_differ(terms, on_postgres):
    roles, goals, _languages = terms
    first = InitiativeFactory(postal_code="80302", roles=roles[:2], goals=goals[:2])
    InitiativeFactory(postal_code="80302", roles=roles[2:3], goals=goals[2:3])
    assert facet_terms.rebuild() == 0  # the triggers kept them: nothing to write
    if not on_postgres:  # SQLite keeps no arrays: its facets count the link tables
        assert not facet_terms.available(connection)
        return
    with connection.cursor() as cursor:  # one array wrong, as a load with the triggers off would
        cursor.execute(
            "UPDATE directory_initiative SET facet_goal_ids = '{}' WHERE id = %s", [first.pk]
        )
    assert not arrays_equal_links()
    assert counted("")["goal"].get(goals[0].slug) is None  # the facets read the arrays
    assert facet_terms.rebuild() == 1
    assert_right(goals[0].slug, roles[0].group.slug)
    # An organization's too, counted with the initiatives'.
    org = OrganizationFactory(postal_code="80302", roles=roles[:1], goals=goals[3:5])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE directory_organization SET facet_goal_ids = '{}' WHERE id = %s", [org.pk]
        )
    assert not arrays_equal_links()
    assert counted("", Organization)["goal"].get(goals[3].slug) is None
    assert facet_terms.rebuild() == 1
    assert_right(goals[3].slug, roles[0].group.slug, Organization)


def test_the_command_turns_back_on_the_arrays_triggers_and_rewrites_them(
    terms, capsys, on_postgres
):
    from tests.find.test_coverage_counts import command_after_a_stopped_load

    roles, goals, _languages = terms
    assert len(facet_terms.triggers()) == (6 if on_postgres else 0)  # three per kind
    out = command_after_a_stopped_load(facet_terms.triggers()[:1], roles, goals, capsys)
    assert ("1 triggers of the listings' arrays of terms were turned off" in out) is on_postgres
    assert ("terms (the facets' counts): 1 differed" in out) is on_postgres  # its goals
    assert facet_terms.triggers(only_off=True) == []
    assert_right(goals[0].slug, roles[0].group.slug)
    # With every trigger on, the command still checks the arrays: a healthy database says 0, and
    # an array that went wrong some other way (a restore of rows only, say) is written again.
    call_command("rebuild_coverage")
    assert ("counts): 0 differed" in capsys.readouterr().out) is on_postgres
    if on_postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE directory_initiative SET facet_role_ids = facet_role_ids || facet_role_ids"
            )
        call_command("rebuild_coverage")
        assert "counts): 1 differed" in capsys.readouterr().out
        assert_right(goals[0].slug, roles[0].group.slug)
