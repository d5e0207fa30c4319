"""The taxonomy matches the paper as TAXONOMY.md records it, and its fixtures load safely."""

from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from directory.management.commands.seed import load_fixture_create_only
from goals.models import Goal
from roles.models import Role, RoleGroup

pytestmark = pytest.mark.django_db

GROUP_SIZES = {
    "A": 5,
    "B": 1,
    "C": 8,
    "D": 1,
    "E": 2,
    "F": 4,
    "G": 11,
    "H": 4,
    "I": 7,
    "J": 9,
    "K": 1,
}
FUNCTIONS = {
    "E": "Vision",
    "F": "De-Escalation and De-Polarization",
    "G": "Mutual Understanding",
    "H": "Reliable Assessments",
    "I": "Collaborative Problem Solving",
    "J": "Equitable Processes",
}


def test_there_are_seven_goals_numbered_one_to_seven():
    assert list(Goal.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6, 7]
    assert Goal.objects.get(number=1).title == "Cultivate Compromise"
    assert Goal.objects.get(number=7).title == "Limit Massively Parallel Partisanship"


def test_there_are_53_roles_in_11_groups():
    assert Role.objects.count() == 53
    assert RoleGroup.objects.count() == 11
    assert sorted(Role.objects.values_list("number", flat=True)) == list(range(1, 54))


def test_14_strategist_and_39_actor_roles():
    kinds = Counter(Role.objects.values_list("group__kind", flat=True))
    assert kinds == {"strategist": 14, "actor": 39}
    assert set(RoleGroup.objects.filter(kind="strategist").values_list("letter", flat=True)) == {
        "A",
        "B",
        "C",
    }


def test_each_group_has_the_roles_the_paper_names():
    sizes = {group.letter: group.roles.count() for group in RoleGroup.objects.all()}
    assert sizes == GROUP_SIZES


def test_groups_e_to_j_serve_the_six_democratic_functions_in_order():
    linked = {
        g.letter: (g.function_number, g.function_name)
        for g in RoleGroup.objects.exclude(function_number=None)
    }
    assert linked == {letter: (i, name) for i, (letter, name) in enumerate(FUNCTIONS.items(), 1)}


def test_roles_sit_in_the_right_groups():
    expected = {
        "conflict-early-warners": "lookouts",
        "narrative-complicators": "complexifiers",
        "de-escalation-mediators": "de-escalators",
        "mediators": "collaborative-problem-solvers",
        "bridge-builders": "constructive-communicators",
        "science-reformers": "issue-analysts",
        "empowerment-leaders": "power-balancers",
        "defenders": "defenders",
    }
    actual = dict(Role.objects.filter(slug__in=expected).values_list("slug", "group__slug"))
    assert actual == expected


def test_every_description_is_written_and_cites_the_paper():
    for obj in [*Goal.objects.all(), *RoleGroup.objects.all(), *Role.objects.all()]:
        assert len(obj.summary) > 40, obj
        assert obj.paper_section, obj
    summaries = [r.summary for r in Role.objects.all()]
    assert len(set(summaries)) == 53


def test_loading_the_taxonomy_fixtures_again_changes_nothing():
    before = list(Role.objects.values_list("pk", "slug", "group_id", "summary"))
    call_command("loaddata", "goals", "roles", verbosity=0)
    call_command("loaddata", "goals", "roles", verbosity=0)
    assert list(Role.objects.values_list("pk", "slug", "group_id", "summary")) == before
    assert Goal.objects.count() == 7
    assert RoleGroup.objects.count() == 11


def test_seed_is_create_only_and_keeps_curator_edits():
    fixtures = Path(settings.BASE_DIR) / "fixtures"
    role = Role.objects.get(slug="bridge-builders")
    role.summary = "Edited by a curator in the admin."
    role.save()
    created, kept = load_fixture_create_only(fixtures / "roles.json")
    assert (created, kept) == (0, 64)
    role.refresh_from_db()
    assert role.summary == "Edited by a curator in the admin."


def test_seed_restores_a_deleted_role_from_the_fixture():
    fixtures = Path(settings.BASE_DIR) / "fixtures"
    Role.objects.get(slug="defenders").delete()
    created, kept = load_fixture_create_only(fixtures / "roles.json")
    assert (created, kept) == (1, 63)
    assert Role.objects.get(slug="defenders").group.letter == "K"
