"""Every public page answers, shows what it promises, and uses a fixed number of queries."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from directory.search.taxonomy import taxonomy
from goals.models import Goal
from roles.models import Role, RoleGroup
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_home_page_shows_all_goals_and_all_53_roles(client, django_assert_num_queries):
    InitiativeFactory()
    with django_assert_num_queries(10):
        response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for goal in Goal.objects.all():
        assert goal.get_absolute_url() in html
    for role in Role.objects.all():
        assert role.get_absolute_url() in html
    for group in RoleGroup.objects.all():
        assert group.name in html
    assert 'name="near"' in html  # the ZIP search box


def test_home_page_counts_only_published_listings(client):
    InitiativeFactory(state="CO", postal_code="80302")
    InitiativeFactory(status="pending", state="IL", postal_code="60601")
    OrganizationFactory(status="pending")
    OrganizationFactory(status="archived")
    # Published itself, but its organization is not: hidden, and its state does not count.
    InitiativeFactory(
        organization=OrganizationFactory(status="pending"),
        postal_code="73301",
        roles=[Role.objects.get(slug="mediators")],
    )
    InitiativeFactory(roles=[Role.objects.get(slug="facilitators")], postal_code="80302")
    response = client.get("/")
    assert response.context["stats"]["initiatives"] == 2
    assert response.context["stats"]["states"] == 1
    assert response.context["stats"]["roles_covered"] == 1  # facilitators, not mediators
    # Each published initiative's factory made one published organization; the rest are hidden.
    assert response.context["stats"]["organizations"] == 3


def test_home_page_query_count_does_not_grow_with_listings(client, django_assert_num_queries):
    InitiativeFactory.create_batch(12, roles=list(Role.objects.all()[:3]))
    with django_assert_num_queries(10):
        first = client.get("/")
    assert first.status_code == 200
    with django_assert_num_queries(0):  # cached until a listing changes
        again = client.get("/")
    assert again.content.count(b'class="card"') == first.content.count(b'class="card"') == 6
    InitiativeFactory(title="Newest of all")
    assert "Newest of all" in client.get("/").content.decode()


def test_goal_list_shows_seven_goals_in_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(reverse("goals:goal-list"))
    assert response.status_code == 200
    assert response.content.decode().count('class="goal-number"') == 7


def test_role_list_shows_53_roles_in_two_queries(client, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = client.get(reverse("roles:role-list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert all(role.get_absolute_url() in html for role in Role.objects.all())
    assert "Serves democratic function 3" in html


@pytest.mark.parametrize("slug", ["compromise", "limit-partisanship"])
def test_goal_page_lists_who_works_on_it(client, django_assert_num_queries, slug):
    goal = Goal.objects.get(slug=slug)
    initiatives = InitiativeFactory.create_batch(3, goals=[goal])
    InitiativeFactory(goals=[goal], status="rejected", title="Rejected work")
    taxonomy()  # read once per process (directory/search/taxonomy.py), not per page
    with django_assert_num_queries(8):
        response = client.get(goal.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert escape(goal.summary) in html
    assert all(i.title in html for i in initiatives)
    assert "Rejected work" not in html
    assert response.context["initiative_total"] == 3


def test_role_page_explains_the_role_and_lists_who_does_it(client, django_assert_num_queries):
    role = Role.objects.get(slug="bridge-builders")
    initiative = InitiativeFactory(roles=[role])
    InitiativeFactory.create_batch(10, roles=[role])
    taxonomy()  # read once per process (directory/search/taxonomy.py), not per page
    with django_assert_num_queries(8):
        response = client.get(role.get_absolute_url())
    html = response.content.decode()
    assert escape(role.summary) in html
    assert "Constructive Communicators" in html
    assert "democratic function 3" in html
    assert response.context["initiative_total"] == 11
    assert "See all 11 initiatives" in html
    assert f"/initiatives/?role={role.slug}" in html
    assert initiative.organization.name in html or len(response.context["initiatives"]) == 8


def test_about_page_explains_the_counting_rule_and_credits_the_paper(client):
    response = client.get(reverse("about"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "How we count 53 roles" in html
    assert "Toda Peace Institute" in html
    assert "14 strategist roles" in html and "39 actor roles" in html


@pytest.mark.parametrize(
    "url", ["/goals/no-such-goal/", "/roles/no-such-role/", "/initiatives/nothing/", "/nowhere/"]
)
def test_unknown_slugs_get_a_friendly_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()
