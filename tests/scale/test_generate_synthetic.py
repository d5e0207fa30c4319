"""manage.py generate_synthetic: marked, realistic, removable synthetic listings."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from directory.dev.synthetic import MARKER_SENTENCE, SLUG_PREFIX, STATE_POPULATION
from directory.models import CoverageChange, Initiative, Organization, Report, Source, Status
from directory.search.geo import lookup_zip
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

N, M = 400, 40


def generate(n: int = N, m: int = M, seed: int = 1) -> str:
    out = StringIO()
    call_command(
        "generate_synthetic", "--initiatives", n, "--organizations", m, "--seed", seed, stdout=out
    )
    return out.getvalue()


def synthetic(model):
    return model.objects.filter(is_demo=True, slug__startswith=SLUG_PREFIX)


def test_counts_marking_and_progress():
    output = generate()
    assert synthetic(Initiative).count() == N
    assert synthetic(Organization).count() == M
    assert "rows/s" in output and "Done:" in output
    for initiative in synthetic(Initiative)[:50]:
        assert initiative.is_demo and initiative.slug.startswith(SLUG_PREFIX)
        assert initiative.description.endswith(MARKER_SENTENCE)
        assert initiative.source == Source.IMPORT
        assert initiative.organization.slug.startswith(SLUG_PREFIX)


def test_one_to_three_roles_and_goals_each():
    generate()
    for model in (Initiative, Organization):
        roles = Counter(
            model.roles.through.objects.values_list(f"{model._meta.model_name}_id", flat=True)
        )
        goals = Counter(
            model.goals.through.objects.values_list(f"{model._meta.model_name}_id", flat=True)
        )
        ids = list(synthetic(model).values_list("pk", flat=True))
        assert {roles[i] for i in ids} <= {1, 2, 3} and 0 not in {roles[i] for i in ids}
        assert {goals[i] for i in ids} <= {1, 2, 3} and 0 not in {goals[i] for i in ids}
        assert len({roles[i] for i in ids}) > 1  # a mix, not always the same number


def test_a_mix_of_statuses_scopes_and_real_places():
    generate()
    statuses = Counter(synthetic(Initiative).values_list("status", flat=True))
    assert statuses[Status.PUBLISHED] > N * 0.7
    assert len(statuses) >= 3
    assert len(set(synthetic(Initiative).values_list("scope", flat=True))) >= 4
    placed = synthetic(Initiative).exclude(postal_code="")
    assert placed.count() > N * 0.8
    for row in placed[:60]:
        info = lookup_zip(row.postal_code)
        assert info is not None and info.state == row.state
        assert (row.latitude, row.longitude) == (info.latitude, info.longitude)
        assert row.state in STATE_POPULATION
    # Population-weighted: California (39 M) is far more frequent than Wyoming (0.6 M).
    states = Counter(placed.values_list("state", flat=True))
    assert states["CA"] > states["WY"]
    # Published rows have a publication time, pending ones none.
    assert not synthetic(Initiative).filter(status=Status.PUBLISHED, published_at=None).exists()
    assert (
        not synthetic(Initiative).filter(status=Status.PENDING).exclude(published_at=None).exists()
    )


def test_text_varies_and_has_common_and_rare_words():
    generate(n=1000, m=50)
    titles = set(synthetic(Initiative).values_list("title", flat=True))
    assert len(titles) > 500
    common = synthetic(Initiative).filter(description__icontains="community").count()
    assert common > 200
    assert synthetic(Initiative).filter(description__icontains="marimba").count() < 20


def test_same_seed_same_text():
    generate(n=30, m=5, seed=7)
    first = list(
        synthetic(Initiative).order_by("pk").values_list("title", "summary", "postal_code")
    )
    call_command("generate_synthetic", "--remove", stdout=StringIO())
    generate(n=30, m=5, seed=7)
    assert (
        list(synthetic(Initiative).order_by("pk").values_list("title", "summary", "postal_code"))
        == first
    )


def test_the_public_pages_show_them_labelled():
    generate(n=60, m=6)
    from django.test import Client

    client = Client()
    initiative = (
        synthetic(Initiative).filter(status="published", organization__status="published").first()
    )
    assert client.get("/initiatives/").status_code == 200
    response = client.get(f"/api/v1/initiatives/{initiative.uuid}/")
    assert response.status_code == 200 and response.json()["is_demo"] is True


def test_remove_deletes_only_synthetic_rows():
    paper = OrganizationFactory(slug="paper-org", source=Source.PAPER)
    real = InitiativeFactory(organization=paper, slug="real-work")
    demo = InitiativeFactory(slug="synthetic-looking-but-not-demo")  # no is_demo: not synthetic
    example = InitiativeFactory(slug="an-example", is_demo=True)  # seed_demo's kind: kept
    # Two roles by their place in the paper: their keys depend on which tests ran before.
    real.roles.set(Role.objects.order_by("number")[:2])
    generate()
    flagged = synthetic(Initiative).first()
    Report.objects.create(initiative=flagged, kind="other", message="a report on a synthetic row")
    out = StringIO()
    call_command("generate_synthetic", "--remove", stdout=out)
    assert "Removed 400 synthetic initiatives and 40 synthetic organizations" in out.getvalue()
    assert not synthetic(Initiative).exists() and not synthetic(Organization).exists()
    assert set(Initiative.objects.values_list("slug", flat=True)) == {
        "real-work",
        "synthetic-looking-but-not-demo",
        "an-example",
    }
    assert (
        Organization.objects.filter(
            pk__in=[paper.pk, demo.organization_id, example.organization_id]
        ).count()
        == 3
    )
    assert real.roles.count() == 2
    assert Initiative.roles.through.objects.filter(initiative__isnull=True).count() == 0
    assert not Report.objects.exists()  # its on_delete (CASCADE) applied


def test_synthetic_text_is_searchable(on_postgres):
    generate(n=300, m=30)
    if on_postgres:  # the stored, GIN-indexed vector (SQLite searches the text itself)
        assert not synthetic(Initiative).filter(search_vector=None).exists()
        assert not synthetic(Organization).filter(search_vector=None).exists()
    found = Initiative.objects.filter(pk__in=synthetic(Initiative).values("pk")).search("community")
    assert found.count() > 50


def test_the_coverage_counts_follow_both_ways_of_loading_and_removing(monkeypatch, on_postgres):
    """A small load leaves the coverage triggers on; a bulk load (PostgreSQL, from
    ``BULK_INDEX_THRESHOLD`` rows) turns them off, counts every cell once, and turns them on."""
    from django.db import connection

    from directory.dev.synthetic import writing
    from tests.find.test_coverage_counts import assert_counts_right
    from tests.find.test_facet_arrays import arrays_equal_links

    generate(seed=1)
    assert_counts_right()
    assert arrays_equal_links()  # the facets' arrays of terms (PostgreSQL), by their triggers
    if on_postgres:
        monkeypatch.setattr(writing, "BULK_INDEX_THRESHOLD", 1)
        out = generate(seed=2)
        assert "rebuilt index" in out  # the bulk path
        # The rows carried their arrays: none needed writing again.
        assert "facet arrays checked against the links: 0 rewritten" in out
        assert_counts_right()
        assert arrays_equal_links()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname, tgenabled FROM pg_trigger"
                " WHERE tgname LIKE 'coverage%' OR tgname LIKE 'facet_terms%'"
            )
            triggers = dict(cursor.fetchall())
        # 12 of coverage, 3 of arrays per kind of listing; O: on again
        assert len(triggers) == 18 and set(triggers.values()) == {"O"}
    call_command("generate_synthetic", "--remove", stdout=StringIO())
    assert_counts_right()
    assert arrays_equal_links()
    assert not CoverageChange.objects.exists()  # folded after each batch, none left to add up
