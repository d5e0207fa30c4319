"""The paper's organizations and the demo data, as `make run` loads them."""

import pytest
from django.core.management import call_command

from directory.models import Initiative, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115


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


def test_demo_initiatives_are_labelled_located_and_spread_over_states(seeded):
    demo = Initiative.objects.filter(is_demo=True)
    assert demo.count() >= 40
    assert not demo.filter(latitude=None).exists()
    assert demo.values("state").distinct().count() >= 15
    assert all("(example)" in name for name in demo.values_list("organization__name", flat=True))


def test_running_seed_twice_changes_nothing(seeded):
    before = (
        list(Organization.objects.order_by("pk").values_list("pk", "slug", "updated_at")),
        list(Initiative.objects.order_by("pk").values_list("pk", "slug", "updated_at")),
    )
    call_command("seed", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = (
        list(Organization.objects.order_by("pk").values_list("pk", "slug", "updated_at")),
        list(Initiative.objects.order_by("pk").values_list("pk", "slug", "updated_at")),
    )
    assert after == before


def test_seed_demo_remove_deletes_only_examples(seeded):
    paper = Organization.objects.filter(source="paper").count()
    call_command("seed_demo", remove=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Initiative.objects.filter(is_demo=True).exists()
    assert not Organization.objects.filter(is_demo=True).exists()
    assert Organization.objects.filter(source="paper").count() == paper
