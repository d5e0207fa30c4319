"""The coverage counts the database keeps (``directory.models.coverage``): after every kind of
write, folded or not, they equal the cells counted from scratch from the listings themselves."""

import random
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from directory.models import CoverageChange, CoverageCount, Initiative, Organization
from directory.search.taxonomy import taxonomy
from directory.services import coverage as service
from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

#: (state, scopes) as the page and the API ask: every state, one state, a state and scopes,
#: and listings with no state at all, within every state
PLACES = [
    (None, None),
    ("CO", None),
    ("CO", ["state"]),
    ("CO", ["local", "state"]),
    ("NY", ["national"]),
]


def from_scratch(state=None, scopes=None) -> dict:
    """{(kind, role, goal): n}, goal 0 for a role's own total, counted from the links of the
    public listings one by one, the way a person would."""
    out: Counter = Counter()
    for kind, model in (("i", Initiative), ("o", Organization)):
        listings = model.objects.published()
        if state:
            listings = listings.filter(state=state)
        if scopes:
            listings = listings.filter(scope__in=scopes)
        for listing in listings.prefetch_related("roles", "goals"):
            goals = [g.pk for g in listing.goals.all()]
            for role in listing.roles.all():
                out[(kind, role.pk, 0)] += 1
                for goal in goals:
                    out[(kind, role.pk, goal)] += 1
    return dict(out)


def kept(state=None, scopes=None) -> dict:
    counts, _pending = service._read(state, scopes)
    return {key: n for key, n in counts.items() if n}


def assert_counts_right():
    for state, scopes in PLACES:
        assert kept(state, scopes) == from_scratch(state, scopes), (state, scopes)


@pytest.fixture
def terms():
    return list(Role.objects.order_by("number")[:6]), list(Goal.objects.order_by("number"))


def test_every_kind_of_write_keeps_the_counts_right_folded_or_not(terms):
    roles, goals = terms
    org = OrganizationFactory(postal_code="80302", roles=roles[:2], goals=goals[:2])
    ini = InitiativeFactory(
        organization=org, postal_code="80202", roles=roles[1:3], goals=goals[1:4], scope="state"
    )
    bare = InitiativeFactory(postal_code="10001", scope="national", roles=[roles[4]])  # no goal
    assert_counts_right()
    assert kept()[("i", roles[1].pk, goals[2].pk)] == 1
    steps = [
        lambda: ini.roles.add(roles[5]),  # a role: its total and a cell per goal
        lambda: ini.goals.remove(goals[1]),  # a goal: a cell per role
        lambda: ini.roles.clear(),
        lambda: ini.roles.set(roles[:4]),
        lambda: bare.goals.set(goals[5:]),  # the second link of a cell counts it
        lambda: Initiative.objects.filter(pk=ini.pk).update(scope="local"),  # no save()
        lambda: Initiative.objects.filter(pk=ini.pk).update(state="NY"),
        lambda: setattr(ini, "postal_code", "80302") or ini.save(),  # back to Colorado
        lambda: setattr(ini, "status", "archived") or ini.save(),  # out of view
        lambda: setattr(ini, "status", "published") or ini.save(),  # and back
        # the organization leaves view: its initiatives too (``visible``), and back
        lambda: setattr(org, "status", "pending") or org.save(),
        lambda: setattr(org, "status", "published") or org.save(),
        lambda: Organization.objects.filter(pk=org.pk).update(state="CA"),
        lambda: bare.delete(),
    ]
    for number, step in enumerate(steps):
        step()
        assert_counts_right()
        if number % 3 == 2:  # sometimes folded in between: the same numbers
            service.fold_changes()
            assert not CoverageChange.objects.exists()
            assert_counts_right()
    ini.delete()
    org.delete()
    assert kept() == {}


def test_a_deleted_role_or_goal_leaves_no_count_behind(terms):
    roles, goals = terms
    InitiativeFactory(postal_code="80302", roles=roles[:2], goals=goals[:2])
    OrganizationFactory(postal_code="80302", roles=roles[:2], goals=goals[:2])
    roles[0].delete()
    goals[1].delete()
    assert_counts_right()
    service.fold_changes()
    left = CoverageCount.objects.exclude(n=0)
    assert not left.filter(role_id=roles[0].pk).exists()
    assert not left.filter(goal_id=goals[1].pk).exists()
    assert left.filter(role_id=roles[1].pk, goal_id=goals[0].pk, state="*").count() == 2


def test_a_random_run_of_writes_ends_where_counting_from_scratch_does(terms):
    """Two hundred writes, chosen by a seeded random walk; checked along the way and at the end,
    then folded, then counted again by ``rebuild_counts``: every route gives one answer."""
    roles, goals = terms
    rng = random.Random(20)
    zips = ["80302", "80202", "10001", "60601"]
    orgs = [OrganizationFactory(postal_code=rng.choice(zips)) for _ in range(3)]
    listings: list = [*orgs]
    for step in range(200):
        target = rng.choice(listings)
        move = rng.randrange(8)
        if move == 0 and len(listings) < 14:
            listings.append(
                InitiativeFactory(
                    organization=rng.choice(orgs),
                    postal_code=rng.choice(zips),
                    scope=rng.choice(["local", "state", "national"]),
                    roles=rng.sample(roles, rng.randrange(4)),
                    goals=rng.sample(goals, rng.randrange(4)),
                )
            )
        elif move == 1:
            target.roles.add(rng.choice(roles))
        elif move == 2:
            target.goals.add(rng.choice(goals))
        elif move == 3:
            target.roles.remove(rng.choice(roles))
        elif move == 4:
            target.goals.set(rng.sample(goals, rng.randrange(3)))
        elif move == 5:
            target.status = rng.choice(["published", "published", "pending", "archived"])
            target.save()
        elif move == 6:
            type(target).objects.filter(pk=target.pk).update(
                scope=rng.choice(["local", "state", "national"])
            )
        elif move == 7:
            target.postal_code = rng.choice(zips)
            target.state = ""  # filled again from the ZIP
            target.save()
        if step % 50 == 49:
            assert_counts_right()
    assert_counts_right()
    service.fold_changes()
    folded = {
        (c.state, c.scope, c.kind, c.role_id, c.goal_id): c.n
        for c in CoverageCount.objects.exclude(n=0)
    }
    service.rebuild_counts()
    rebuilt = {
        (c.state, c.scope, c.kind, c.role_id, c.goal_id): c.n
        for c in CoverageCount.objects.exclude(n=0)
    }
    assert folded == rebuilt and rebuilt
    assert_counts_right()


def test_a_read_folds_the_changes_once_they_are_many(terms, monkeypatch):
    roles, goals = terms
    monkeypatch.setattr(service, "FOLD_AFTER", 5)
    InitiativeFactory(postal_code="80302", roles=roles[:2], goals=goals[:1])  # 4 changes
    service.coverage()
    assert CoverageChange.objects.count() == 4  # few: left for later
    InitiativeFactory(postal_code="80302", roles=roles[:2], goals=goals[:1])
    before = kept()
    service.coverage()  # 8 changes read: this read folds them
    assert not CoverageChange.objects.exists()
    assert kept() == before == from_scratch()


def test_the_command_counts_again_and_says_what_the_triggers_had_wrong(terms, capsys):
    roles, goals = terms
    InitiativeFactory(postal_code="80302", roles=roles[:2], goals=goals[:2])
    call_command("rebuild_coverage")
    assert "0 differed" in capsys.readouterr().out
    CoverageCount.objects.filter(state="CO", goal_id=goals[0].pk).update(n=F("n") + 5)
    assert kept("CO") != from_scratch("CO")
    call_command("rebuild_coverage")
    assert "2 differed" in capsys.readouterr().out  # two roles × that goal, in Colorado
    assert_counts_right()


def test_the_coverage_page_reads_the_counts_in_one_query(client, terms, django_assert_num_queries):
    roles, goals = terms
    InitiativeFactory(postal_code="80302", roles=roles, goals=goals)
    taxonomy()  # the goals and roles: read once per process and taxonomy version, not per page
    # the counts, whatever the number of listings
    with django_assert_num_queries(1):
        assert client.get("/api/v1/coverage/?state=CO").status_code == 200
    for _ in range(5):
        InitiativeFactory(postal_code="80302", roles=roles, goals=goals)
    with django_assert_num_queries(1):
        data = client.get("/api/v1/coverage/?state=CO").json()
    row = next(r for r in data["roles"] if r["slug"] == roles[0].slug)
    assert row["initiatives"] == 6 and row["by_goal"][goals[0].slug]["initiatives"] == 6


def command_after_a_stopped_load(left, roles, goals, capsys) -> str:
    """Turn ``left`` (table, trigger) off, as a bulk load killed half-way leaves them, write an
    initiative with two roles and two goals, run ``rebuild_coverage``; what it printed."""
    from django.db import connection

    service.switch_triggers(left, on=False)
    InitiativeFactory(postal_code="80302", roles=roles[:2], goals=goals[:2])
    with connection.cursor() as cursor:  # (a test's transaction) no foreign key check pending
        cursor.execute(
            "SET CONSTRAINTS ALL IMMEDIATE" if connection.vendor == "postgresql" else "SELECT 1"
        )
    call_command("rebuild_coverage")
    return capsys.readouterr().out


def test_the_command_turns_back_on_triggers_a_stopped_load_left_off(terms, capsys, on_postgres):
    """A bulk load killed half-way leaves the triggers off (PostgreSQL): the command turns them
    on and counts what they missed. SQLite cannot turn a trigger off: nothing to say."""
    roles, goals = terms
    out = command_after_a_stopped_load(service.triggers()[:1], roles, goals, capsys)
    assert ("1 coverage triggers were turned off" in out) is on_postgres
    assert service.triggers(only_off=True) == []
    assert len(service.triggers()) == (12 if on_postgres else 0)
    assert_counts_right()


def test_a_load_that_fails_half_way_still_counts_what_it_wrote(terms, monkeypatch, on_postgres):
    """PostgreSQL's bulk path turns the triggers off; whatever happens, they come back on and
    every cell is counted (SQLite: the changes are folded)."""
    from directory.dev.synthetic import writing

    roles, goals = terms

    def half_way(*args):
        InitiativeFactory(postal_code="80302", roles=roles[:2], goals=goals[:2])
        raise RuntimeError("the load stops here")

    monkeypatch.setattr(writing, "BULK_INDEX_THRESHOLD", 1)
    monkeypatch.setattr(writing, "_generate_rows", half_way)
    with pytest.raises(CommandError, match="stops here"):  # the command says what stopped it
        call_command("generate_synthetic", "--initiatives", 10, "--organizations", 2)
    assert service.triggers(only_off=True) == []
    assert not CoverageChange.objects.exists()
    assert kept()[("i", roles[0].pk, goals[0].pk)] == 1
    assert_counts_right()
