"""The taxonomy, the paper's organizations, the research set and the demo data, as `make run`
loads them: through `manage.py seed` itself, on an empty database."""

import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from directory.models import Event, Initiative, Language, Organization, SourceRecord
from directory.services import research
from tests.factories import InitiativeFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    """One seed for the module (it takes seconds), inside a transaction rolled back at the end;
    each test runs in a savepoint of its own within it, so what a test changes is undone."""
    with django_db_blocker.unblock(), transaction.atomic():
        # The suite's set-up loads the languages with loaddata; `make run` has only `seed`.
        Language.objects.all().delete()
        call_command("seed", verbosity=0, stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    return None


def test_seed_on_an_empty_database_loads_every_language(seeded):
    fixture = json.loads((settings.BASE_DIR / "fixtures" / "languages.json").read_text())
    assert Language.objects.count() == len(fixture) >= 40
    assert Language.objects.get(code="es").name_es == "Español"


def test_seed_loads_the_research_set_with_its_sources(seeded):
    found = research.ResearchSet.read()
    slugs = {r["slug"] for r in found.organizations}
    assert Organization.objects.filter(slug__in=slugs).count() == len(slugs) >= 300
    slugs = {r["slug"] for r in found.initiatives}
    assert Initiative.objects.filter(slug__in=slugs).count() == len(slugs) >= 300
    record = found.organizations[0]
    organization = Organization.objects.get(slug=record["slug"])
    assert organization.classified_by == "curator"
    assert organization.status == "published" and not organization.is_demo
    assert set(organization.roles.values_list("slug", flat=True)) == set(record["roles"])
    assert sorted(organization.sources.values_list("url", flat=True)) == sorted(
        {s["url"] for s in record["sources"]}
    )
    newest = max(s["seen"] for s in record["sources"])
    assert organization.last_verified_at.date().isoformat() == newest


def test_every_published_real_listing_has_a_dated_source(seeded):
    for model in (Organization, Initiative):
        real = model.objects.published().filter(is_demo=False)
        assert real.exists()
        unsourced = real.exclude(sources__url__startswith="http").values_list("slug", flat=True)
        assert list(unsourced) == []
    assert not SourceRecord.objects.filter(seen_on__isnull=True).exists()


def test_research_listings_are_placed_where_citizens_search(seeded):
    """Near-ZIP search finds real work: listings with a city and no ZIP sit at its centre."""
    real = Initiative.objects.published().filter(is_demo=False, source="curator")
    placed = real.exclude(latitude=None)
    assert placed.count() >= 250
    assert real.filter(city__gt="").values("state").distinct().count() >= 46  # 45 + DC


def test_every_role_and_goal_has_real_work(seeded):
    from goals.models import Goal
    from roles.models import Role

    for model in (Role, Goal):
        empty = model.objects.exclude(initiatives__is_demo=False).exclude(
            organizations__is_demo=False
        )
        assert list(empty.values_list("slug", flat=True)) == []


def test_seed_loads_the_papers_organizations_as_published_paper_listings(seeded):
    paper = Organization.objects.filter(source="paper")
    assert paper.count() >= 40
    assert set(paper.values_list("status", flat=True)) == {"published"}
    assert not paper.filter(is_demo=True).exists()
    allsides = Organization.objects.get(slug="allsides")
    assert set(allsides.roles.values_list("slug", flat=True)) == {
        "bubble-bursters",
        "disinformation-fighters",
    }


def test_listen_first_coalition_has_the_four_members_the_paper_names(seeded):
    coalition = Organization.objects.get(slug="listen-first-coalition")
    assert coalition.is_network
    assert set(coalition.members.values_list("name", flat=True)) == {
        "Listen First",
        "Village Square",
        "Living Room Conversations",
        "National Institute for Civil Discourse",
    }


def test_the_initiatives_the_paper_names_are_loaded(seeded):
    titles = set(Initiative.objects.filter(source="paper").values_list("title", flat=True))
    assert {"Disagree Better", "Citizen Connect"} <= titles
    assert Initiative.objects.get(slug="disagree-better").organization.slug == (
        "national-governors-association"
    )


def test_seed_adds_no_examples_unless_asked(seeded):
    assert not Initiative.objects.filter(is_demo=True).exists()
    assert not Organization.objects.filter(is_demo=True).exists()


def test_demo_initiatives_are_labelled_located_and_spread_over_states(seeded):
    call_command("seed_demo", stdout=StringIO())
    demo = Initiative.objects.filter(is_demo=True)
    assert demo.count() >= 40
    assert not demo.filter(latitude=None).exists()
    assert demo.values("state").distinct().count() >= 15
    assert all("(example)" in name for name in demo.values_list("organization__name", flat=True))


def _snapshot():
    return (
        list(Organization.objects.order_by("pk").values_list("pk", "slug", "updated_at")),
        list(Initiative.objects.order_by("pk").values_list("pk", "slug", "updated_at")),
        list(SourceRecord.objects.order_by("pk").values_list("pk", "url")),
        Language.objects.count(),
        Organization.history.count() + Initiative.history.count(),
    )


def test_running_seed_twice_changes_nothing(seeded):
    before = _snapshot()
    call_command("seed", verbosity=0, stdout=StringIO())
    assert _snapshot() == before


def test_seed_never_overwrites_a_curators_edit_or_removed_source(seeded):
    record = research.ResearchSet.read().organizations[0]
    organization = Organization.objects.get(slug=record["slug"])
    Organization.objects.filter(pk=organization.pk).update(summary="Edited by a curator.")
    organization.sources.first().delete()
    count = organization.sources.count()
    call_command("seed", verbosity=0, stdout=StringIO())
    organization.refresh_from_db()
    assert organization.summary == "Edited by a curator."
    assert organization.sources.count() == count


def test_seed_refuses_a_research_set_that_falls_short(tmp_path, monkeypatch):
    bad = {
        "organizations": [
            {
                "slug": "no-sources",
                "name": "X",
                "summary": "Y.",
                "roles": ["mediators"],
                "goals": ["compromise"],
                "city": "Boulder",
                "state": "CO",
                "sources": [],
            }
        ]
    }
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    monkeypatch.setattr(research, "research_dir", lambda: tmp_path)
    found = research.ResearchSet.read()
    shortfalls = research.problems(found)
    assert any("no source" in line for line in shortfalls)
    assert any("city needs two sources" in line for line in shortfalls)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="falls short"):
        call_command("seed", verbosity=0, stdout=StringIO())
    assert not Organization.objects.filter(slug="no-sources").exists()


def test_seed_demo_remove_deletes_only_examples(seeded):
    call_command("seed_demo", stdout=StringIO())
    paper = Organization.objects.filter(source="paper").count()
    real = Initiative.objects.filter(is_demo=False).count()
    # Real work that came to hang on examples: a real initiative of an example organization,
    # a member who claimed one, a real event of an example initiative.
    example_org, claimed_org = Organization.objects.filter(is_demo=True)[:2]
    kept = InitiativeFactory(organization=example_org, title="Real work")
    MembershipFactory(user=UserFactory(username="m"), organization=claimed_org, role="owner")
    example_initiative = Initiative.objects.filter(is_demo=True).first()
    event = Event.objects.create(
        organization=OrganizationFactory(),
        initiative=example_initiative,
        title="Real event",
        slug="real-event",
        summary="A real one.",
        starts_at="2030-01-01T10:00Z",
    )
    call_command("seed_demo", remove=True, stdout=StringIO())
    assert not Initiative.objects.filter(is_demo=True).exists()
    assert set(Organization.objects.filter(is_demo=True)) == {example_org, claimed_org}
    assert Organization.objects.filter(source="paper").count() == paper
    assert Initiative.objects.filter(is_demo=False).count() == real + 1
    assert Initiative.objects.filter(pk=kept.pk).exists()
    event.refresh_from_db()
    assert event.initiative is None


def test_due_for_reverification_lists_old_listings_with_their_sources(seeded):
    record = research.ResearchSet.read().organizations[0]
    organization = Organization.objects.get(slug=record["slug"])
    Organization.objects.filter(pk=organization.pk).update(last_verified_at="2020-01-01T00:00Z")
    out = StringIO()
    call_command("due_for_reverification", stdout=out)
    text = out.getvalue()
    assert f"organization {organization.slug} " in text
    assert "last verified 2020-01-01" in text
    for source in record["sources"]:
        assert source["url"] in text
    fresh = research.ResearchSet.read().organizations[1]["slug"]
    assert f" {fresh} " not in text
    out = StringIO()
    call_command("due_for_reverification", "--csv", stdout=out)
    assert out.getvalue().startswith("kind,slug,name,last_verified,sources")


def test_a_translation_the_seed_fills_in_shows_at_once(seeded):
    """An installation from before the Spanish taxonomy gains it on upgrade (``seed`` fills a
    translation that is empty), and every process reads the taxonomy again: a snapshot built
    before the seed would otherwise go on showing the English name."""
    from django.utils import translation

    from directory.search.taxonomy import taxonomy, taxonomy_changed
    from goals.models import Goal

    goal = Goal.objects.get(slug="compromise")
    spanish = goal.title_es
    assert spanish and spanish != goal.title_en
    Goal.objects.filter(pk=goal.pk).update(title_es="")  # as before the Spanish taxonomy
    taxonomy_changed()

    def shown() -> str:
        with translation.override("es"):
            return {term.slug: term.name for term in taxonomy().goals}["compromise"]

    assert shown() == goal.title_en  # no Spanish yet: the English name stands in
    call_command("seed", verbosity=0, stdout=StringIO())
    assert Goal.objects.get(pk=goal.pk).title_es == spanish
    assert shown() == spanish


def test_each_research_listing_has_one_history_record_with_its_roles_goals_and_sources(seeded):
    """The research set goes in as a batch (``research._complete``): each new listing still
    gets one history record of its creation, naming its file, whose copy of the links is the
    listing's roles and goals, and its sources with theirs."""
    found = research.ResearchSet.read()
    for model, records in ((Organization, found.organizations), (Initiative, found.initiatives)):
        record = records[-1]
        listing = model.objects.get(slug=record["slug"])
        assert set(listing.roles.values_list("slug", flat=True)) == set(record["roles"])
        assert set(listing.goals.values_list("slug", flat=True)) == set(record["goals"])
        created = listing.history.get(history_type="+")
        assert created.history_change_reason == f"Seeded from fixtures/research/{record['_file']}"
        assert {link.role_id for link in created.roles.all()} == set(
            listing.roles.values_list("pk", flat=True)
        )
        assert {link.goal_id for link in created.goals.all()} == set(
            listing.goals.values_list("pk", flat=True)
        )
        urls = {source["url"] for source in record["sources"]}
        assert set(listing.sources.values_list("url", flat=True)) == urls
        own = {f"{model._meta.model_name}_id": listing.pk}
        assert SourceRecord.history.filter(history_type="+", **own).count() == len(urls)
