"""Two roles of the paper share a name ("Mediators"): wherever a role is shown without its group,
its label tells them apart, in English and Spanish."""

import pytest
from django.utils import translation

from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mediators():
    return Role.objects.get(slug="de-escalation-mediators"), Role.objects.get(slug="mediators")


def test_roles_that_share_a_name_are_labelled_with_their_group(mediators):
    de_escalation, problem_solving = mediators
    assert de_escalation.name == problem_solving.name == "Mediators"
    assert de_escalation.label == "Mediators (De-Escalators)"
    assert problem_solving.label == "Mediators (Collaborative Problem Solvers)"
    assert Role.objects.get(slug="facilitators").label == "Facilitators"  # a name of its own


def test_the_label_is_in_spanish_too(mediators):
    with translation.override("es"):
        assert [
            role.label
            for role in Role.objects.with_label()
            .filter(slug__in=["de-escalation-mediators", "mediators", "facilitators"])
            .order_by("number")
        ] == [
            "Mediadores (Desescaladores)",
            "Facilitadores",
            "Mediadores (Solucionadores colaborativos de problemas)",
        ]


def test_with_label_knows_it_in_the_same_query(mediators, django_assert_num_queries):
    with django_assert_num_queries(1):
        labels = {role.slug: role.label for role in Role.objects.with_label()}
    assert labels["de-escalation-mediators"] == "Mediators (De-Escalators)"
    assert len(labels) == 53


def test_cards_and_chips_tell_the_two_mediators_apart(client, mediators):
    de_escalation, problem_solving = mediators
    InitiativeFactory(title="Tense-meeting mediators", roles=[de_escalation])
    OrganizationFactory(name="Neighbourhood mediation centre", roles=[problem_solving])
    cards = client.get("/initiatives/").text
    assert ">Mediators (De-Escalators)</a>" in cards
    chips = client.get("/initiatives/?role=de-escalation-mediators").text
    assert "Role: Mediators (De-Escalators)" in chips
    organizations = client.get("/organizations/?lang=es").text
    assert ">Mediadores (Solucionadores colaborativos de problemas)</a>" in organizations


def test_the_role_finder_tells_them_apart_in_its_one_query(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):  # as before: the label comes with the weights
        html = client.get("/get-involved/?skill=law&skill=calm&goal=compromise").text
    assert ">Mediators (Collaborative Problem Solvers)</a>" in html
    assert ">Mediators (De-Escalators)</a>" in html
