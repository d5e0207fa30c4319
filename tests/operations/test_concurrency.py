"""Real concurrent connections: one decision per item, distinct slugs for simultaneous submits."""

import threading

import pytest
from django.db import connection

from directory.models import Initiative, ModerationDecision, Organization
from directory.services.listings import initiative_submit
from directory.services.moderation import AlreadyDecided, decide
from tests.factories import InitiativeFactory, ReportFactory, UserFactory

# Threads use their own database connections, so the data must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)

RUNS = 4


def in_threads(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected and asserted on by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def loaded_taxonomy_with_true_counts() -> None:
    """The goals and roles (a transactional test's flush removed them), and coverage counts
    that match the rows. On SQLite, flush empties the tables with DELETE in no fixed order: the
    listings it deletes after the coverage tables fire their triggers, and leave changes behind
    for rows that are gone (``manage.py rebuild_coverage`` repairs that, as this does)."""
    from django.core.management import call_command

    from directory.services.coverage import rebuild_counts

    call_command("loaddata", "goals", "roles", verbosity=0)
    rebuild_counts()


@pytest.mark.parametrize("run", range(RUNS))
def test_two_curators_deciding_one_item_make_one_decision(run):
    users = [UserFactory(username=f"c{run}{i}") for i in range(2)]
    initiative = InitiativeFactory(status="pending", published_at=None)
    actions = ["approve", "reject"]
    results = in_threads(
        2, lambda i: decide(by=users[i], target=initiative, action=actions[i], reason="Not civic.")
    )
    decided = [r for r in results if isinstance(r, ModerationDecision)]
    refused = [r for r in results if isinstance(r, AlreadyDecided)]
    assert len(decided) == 1 and len(refused) == 1, results
    assert ModerationDecision.objects.filter(target_id=initiative.pk).count() == 1
    initiative.refresh_from_db()
    assert initiative.status == {"approve": "published", "reject": "rejected"}[decided[0].action]


def test_two_curators_resolving_one_report_make_one_record():
    users = [UserFactory(username=f"r{i}") for i in range(2)]
    report = ReportFactory(listing=InitiativeFactory(), kind="spam", message="x")
    results = in_threads(
        2, lambda i: decide(by=users[i], target=report, action="resolve", reason=f"by {i}")
    )
    assert sum(isinstance(r, ModerationDecision) for r in results) == 1, results
    assert ModerationDecision.objects.filter(action="resolve").count() == 1


def test_simultaneous_submissions_with_one_title_get_distinct_slugs():
    org = Organization.objects.create(name="Host", slug="host", summary="x", status="published")
    results = in_threads(
        4,
        lambda i: initiative_submit(
            by="test",
            organization={"instance": org},
            data={"title": "Same title", "summary": "x", "scope": "national"},
        ),
    )
    assert all(isinstance(r, Initiative) for r in results), results
    slugs = sorted(Initiative.objects.filter(title="Same title").values_list("slug", flat=True))
    assert slugs == ["same-title", "same-title-2", "same-title-3", "same-title-4"]


def test_rate_limits_hold_under_concurrent_requests(settings):
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    call_command("loaddata", "goals", verbosity=0)
    cache.clear()
    settings.API_RATES = {"anon": "5/minute", "partner": "50/minute", "submissions": "5/hour"}
    codes = in_threads(20, lambda i: Client().get("/api/v1/goals/").status_code)
    assert sorted(codes) == [200] * 5 + [429] * 15, codes


def test_two_members_editing_one_listing_at_once_make_one_waiting_edit():
    from django.http import QueryDict

    from directory.models import ChangeRequest, Membership
    from directory.services.edit_forms import form_for, form_snapshot, listing_edit_of
    from directory.services.membership import EditWaiting, listing_edit

    org = Organization.objects.create(
        slug="shared-org", name="Shared", summary="One listing, two editors.", status="published"
    )
    users = [UserFactory(username=f"editor{i}", password=None) for i in range(2)]
    for user in users:
        Membership.objects.create(user=user, organization=org, role="owner")

    def edit(i):
        target = Organization.objects.get(pk=org.pk)
        data = QueryDict(mutable=True)
        data.update({"name": f"Edit {i}", "summary": "Changed.", "scope": "national"})
        form = form_for(target, data)
        assert form.is_valid(), form.errors
        return listing_edit(by=users[i], edit=listing_edit_of(form), proposed=form_snapshot(form))

    for _ in range(RUNS):
        ChangeRequest.objects.all().delete()
        results = in_threads(2, edit)
        made = [r for r in results if isinstance(r, ChangeRequest)]
        refused = [r for r in results if isinstance(r, EditWaiting)]
        assert (len(made), len(refused)) == (1, 1), results
        assert ChangeRequest.objects.filter(status="pending").count() == 1
        assert refused[0].change is None or refused[0].change.pk == made[0].pk


def test_simultaneous_edits_keep_the_coverage_counts_right_and_never_deadlock():
    """Four writers relink listings of one state and scope, so their coverage changes fall on
    the same cells, while a fifth folds the changes again and again: no writer waits for
    another's cells, nothing fails, and the counts equal a count from scratch."""

    from directory.services import coverage
    from goals.models import Goal
    from roles.models import Role
    from tests.find.test_coverage_counts import assert_counts_right

    loaded_taxonomy_with_true_counts()
    roles, goals = list(Role.objects.order_by("number")[:4]), list(Goal.objects.all()[:4])
    org = Organization.objects.create(name="Host", slug="host", summary="x", status="published")
    listings = [
        InitiativeFactory(organization=org, postal_code="80302", roles=roles, goals=goals)
        for _ in range(4)
    ]

    def work(i):
        if i == 4:
            return sum(coverage.fold_changes() for _ in range(30))
        listing = Initiative.objects.get(pk=listings[i].pk)
        for turn in range(15):
            # each writer in its own order, so two of them lock cells in opposite orders
            chosen = roles[turn % 4 :] + roles[: turn % 4]
            listing.roles.set(chosen[: 1 + (turn + i) % 4])
            listing.goals.set(list(reversed(goals))[: 1 + turn % 4])
        return "done"

    for _ in range(2):
        results = in_threads(5, work)
        assert results[:4] == ["done"] * 4 and isinstance(results[4], int), results
        assert_counts_right()


def test_one_listing_changed_by_several_at_once_keeps_its_coverage_counts():
    """One writer takes an initiative out of view and back (its organization's status), others
    relink the same initiative at the same moment: each trigger sees what the others
    committed (PostgreSQL: a link's trigger locks the listing's row first), so no cell is lost
    or counted twice."""

    from goals.models import Goal
    from roles.models import Role
    from tests.find.test_coverage_counts import assert_counts_right

    loaded_taxonomy_with_true_counts()
    roles, goals = list(Role.objects.order_by("number")[:4]), list(Goal.objects.all()[:4])
    org = Organization.objects.create(name="Host", slug="host", summary="x", status="published")
    listing = InitiativeFactory(organization=org, postal_code="80302", roles=roles, goals=goals)

    def work(i):
        if i == 0:
            host = Organization.objects.get(pk=org.pk)
            for turn in range(20):
                host.status = "pending" if turn % 2 == 0 else "published"
                host.save()
            return "done"
        mine = Initiative.objects.get(pk=listing.pk)
        for turn in range(20):
            if i == 1:
                mine.roles.set(roles[: 1 + (turn % 4)])
            else:
                mine.goals.set(goals[(turn % 4) :])
        return "done"

    for _ in range(3):
        results = in_threads(3, work)
        assert results == ["done"] * 3, results
        assert_counts_right()


def test_two_links_added_to_one_initiative_at_once_both_count():
    """PostgreSQL keeps each initiative's roles as an array on its row too, written by a
    trigger per link (``directory.services.facet_terms``). The second transaction's trigger
    waits for the first's row lock, then appends to the array as the first left it: both roles
    are counted, not only the last to commit. The coverage triggers on the same table, which
    lock the initiative's row first and so would order the two anyway, are off for this test
    (a trigger that read the links and wrote them back whole loses the first role here). The
    link rows are written as an import writes them, with no related manager (whose signals
    update the initiative before the link is even written)."""
    import time

    from django.db import transaction

    from directory.services import coverage
    from roles.models import Role
    from tests.find.test_facet_arrays import arrays_equal_links

    loaded_taxonomy_with_true_counts()
    first, second = Role.objects.order_by("number")[:2]
    initiative = InitiativeFactory(roles=[])
    Link = Initiative.roles.through
    added = threading.Event()
    waited = []

    def add(i):
        if i == 0:
            with transaction.atomic():
                Link.objects.create(initiative_id=initiative.pk, role=first)
                added.set()
                time.sleep(0.5)  # the other transaction's trigger waits for this one's commit
        else:
            added.wait(10)
            started = time.monotonic()
            Link.objects.create(initiative_id=initiative.pk, role=second)
            waited.append(time.monotonic() - started)

    quiet = coverage.triggers()  # PostgreSQL only; SQLite takes one writer at a time anyway
    coverage.switch_triggers(quiet, on=False)
    try:
        results = in_threads(2, add)
    finally:
        coverage.switch_triggers(quiet, on=True)
    try:
        assert results == [None, None]
        assert waited and waited[0] > 0.2  # it did wait for the first to commit
        assert set(initiative.roles.values_list("pk", flat=True)) == {first.pk, second.pk}
        assert arrays_equal_links()
    finally:
        # Removed before the test's flush: on SQLite a flush deletes the coverage tables before
        # the links, whose triggers would leave changes behind for the next tests
        # (``loaded_taxonomy_with_true_counts``); the counts the triggers missed here, again.
        initiative.delete()
        from directory.services.coverage import rebuild_counts

        rebuild_counts()
