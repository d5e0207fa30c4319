"""Find your place: the role finder, coverage (HTML and JSON), networks, cross-partisan signal."""

import pytest

from directory.search.taxonomy import taxonomy
from goals.models import Goal
from roles.finder import recommend
from roles.models import FinderAnswer, FinderWeight, Role
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def answers(*pairs):
    return [FinderAnswer.objects.get(kind=k, slug=s) for k, s in pairs]


def test_law_and_compromise_point_to_mediation_and_negotiation():
    ranked = recommend(answers(("skill", "law"), ("goal", "compromise")))
    # mediators 3+3, negotiators 2+3, then three roles at 3, in the paper's order.
    assert [(r.role.slug, r.score) for r in ranked] == [
        ("mediators", 6),
        ("negotiators", 5),
        ("consensus-builders", 3),
        ("arbitrators", 3),
        ("adjudicators", 3),
    ]
    assert ranked[0].because == [
        "care about finding workable compromises",
        "have a head for law and settling disputes",
    ]


def test_little_time_and_listening_suit_grassroots_citizens():
    ranked = recommend(answers(("time", "little"), ("skill", "listening")))
    # grassroots 3+2; bubble bursters 1+2 and bridge builders 3 tie at 3: paper order (22 < 24).
    assert [(r.role.slug, r.score) for r in ranked[:3]] == [
        ("grassroots-citizens", 5),
        ("bubble-bursters", 3),
        ("bridge-builders", 3),
    ]


def test_no_answers_no_recommendations():
    assert recommend([]) == []


def test_the_scoring_is_data_curators_can_tune():
    weight = FinderWeight.objects.get(answer__slug="law", role__slug="adjudicators")
    weight.weight = 5
    weight.save()
    ranked = recommend(answers(("skill", "law"), ("goal", "compromise")))
    # adjudicators rise from 3 to 5, level with negotiators (paper order: 37 before 50).
    assert [r.role.slug for r in ranked[:3]] == ["mediators", "negotiators", "adjudicators"]


def test_every_role_can_be_recommended_by_some_answer():
    assert set(FinderWeight.objects.values_list("role__slug", flat=True)) == set(
        Role.objects.values_list("slug", flat=True)
    )


def test_the_finder_page_works_from_a_shareable_url(client, django_assert_max_num_queries):
    mediators = Role.objects.get(slug="mediators")
    near = InitiativeFactory(
        title="Boulder mediation circle",
        roles=[mediators],
        welcomes_newcomers=True,
        postal_code="80302",
    )
    InitiativeFactory(title="Closed mediation panel", roles=[mediators], postal_code="80302")
    InitiativeFactory(
        title="Online mediation course",
        roles=[mediators],
        welcomes_newcomers=True,
        scope="online",
    )
    InitiativeFactory(
        title="Far away mediation", roles=[mediators], welcomes_newcomers=True, postal_code="10001"
    )
    url = "/get-involved/?skill=law&goal=compromise&near=80302"
    with django_assert_max_num_queries(8):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert [r.role.slug for r in response.context["recommendations"]][:2] == [
        "mediators",
        "negotiators",
    ]
    first = response.context["recommendations"][0]
    assert [i.title for i in first.initiatives] == [near.title, "Online mediation course"]
    assert "Closed mediation panel" not in html and "Far away mediation" not in html
    assert "It fits because you care about finding workable compromises" in html
    assert 'value="law" checked' in html  # the answers stay chosen


def test_the_finder_without_answers_just_asks(client):
    response = client.get("/get-involved/")
    assert response.status_code == 200
    assert response.context["recommendations"] == []
    assert "What you like doing" in response.content.decode()


def test_an_unknown_zip_in_the_finder_is_said_not_an_error(client):
    response = client.get("/get-involved/?skill=law&near=00000")
    assert response.status_code == 200
    assert "We don’t know the ZIP code 00000" in response.content.decode()


@pytest.fixture
def coverage_world():
    role = {r.slug: r for r in Role.objects.all()}
    goal = {g.slug: g for g in Goal.objects.all()}
    OrganizationFactory(postal_code="80302", roles=[role["mediators"]], goals=[goal["compromise"]])
    OrganizationFactory(postal_code="60601", roles=[role["mediators"]], goals=[goal["compromise"]])
    InitiativeFactory(
        postal_code="80302",
        roles=[role["mediators"], role["facilitators"]],
        goals=[goal["compromise"], goal["reconciliation"]],
    )
    InitiativeFactory(
        postal_code="80202", roles=[role["mediators"]], goals=[goal["compromise"]], scope="state"
    )
    InitiativeFactory(
        status="pending", postal_code="80302", roles=[role["mediators"]], goals=[goal["compromise"]]
    )
    InitiativeFactory(scope="national", roles=[role["defenders"]])  # no goal


def cell(data, role_slug, goal_slug):
    row = next(r for r in data["roles"] if r["slug"] == role_slug)
    return row["by_goal"][goal_slug]


def test_coverage_counts_match_hand_computed_numbers(client, coverage_world):
    data = client.get("/api/v1/coverage/").json()
    assert cell(data, "mediators", "compromise") == {"organizations": 2, "initiatives": 2}
    assert cell(data, "mediators", "reconciliation") == {"organizations": 0, "initiatives": 1}
    assert cell(data, "facilitators", "compromise") == {"organizations": 0, "initiatives": 1}
    mediators = next(r for r in data["roles"] if r["slug"] == "mediators")
    assert (mediators["organizations"], mediators["initiatives"]) == (2, 2)
    defenders = next(r for r in data["roles"] if r["slug"] == "defenders")
    assert defenders["initiatives"] == 1 and defenders["by_goal"]["compromise"]["initiatives"] == 0
    assert len(data["roles"]) == 53 and len(data["goals"]) == 7
    assert "mediators" not in data["thinnest"]


def test_coverage_by_state_and_scope(client, coverage_world):
    colorado = client.get("/api/v1/coverage/?state=co").json()
    assert colorado["state"] == "CO"
    assert cell(colorado, "mediators", "compromise") == {"organizations": 1, "initiatives": 2}
    statewide = client.get("/api/v1/coverage/?state=CO&scope=state").json()
    assert cell(statewide, "mediators", "compromise") == {"organizations": 0, "initiatives": 1}
    assert client.get("/api/v1/coverage/?state=ZZ").status_code == 400
    page = client.get("/coverage/?state=IL")
    assert "roles have no one listed in Illinois" in page.content.decode()
    assert "facilitators" in [role.slug for role in page.context["empty_roles"]]


def test_the_coverage_page_shows_the_same_numbers_as_the_json(client, coverage_world):
    page = client.get("/coverage/?state=CO")
    data = client.get("/api/v1/coverage/?state=CO").json()
    for row, json_row in zip(page.context["rows"], data["roles"], strict=True):
        assert row["role"].slug == json_row["slug"]
        for html_cell in row["cells"]:
            assert {
                "organizations": html_cell["organizations"],
                "initiatives": html_cell["initiatives"],
            } == json_row["by_goal"][html_cell["goal"].slug]
    html = page.content.decode()
    assert "<svg" in html and 'class="coverage"' in html


def test_coverage_query_count_does_not_grow(client, coverage_world, django_assert_num_queries):
    taxonomy()  # the goals and roles: read once per process and taxonomy version, not per page
    with django_assert_num_queries(1):  # the counts
        client.get("/api/v1/coverage/")
    for _ in range(5):
        InitiativeFactory(
            postal_code="10001", roles=list(Role.objects.all()[:10]), goals=list(Goal.objects.all())
        )
    with django_assert_num_queries(1):
        client.get("/api/v1/coverage/")
    with django_assert_num_queries(1):
        assert client.get("/coverage/?state=NY").status_code == 200


def test_networks_list_their_members(client):
    network = OrganizationFactory(name="Listen Together Coalition", is_network=True)
    member = OrganizationFactory(name="Porch Talks")
    member.networks.add(network)
    hidden = OrganizationFactory(name="Hidden member", status="pending")
    hidden.networks.add(network)
    page = client.get("/networks/").content.decode()
    assert "Listen Together Coalition" in page and "(1 member listed)" in page
    detail = client.get(network.get_absolute_url()).content.decode()
    assert "Porch Talks" in detail and "Hidden member" not in detail
    assert "Listen Together Coalition" in client.get(member.get_absolute_url()).content.decode()


def test_cross_partisan_is_self_declared_shown_and_filterable(client):
    bridging = OrganizationFactory(name="Across the Aisle", cross_partisan=True)
    InitiativeFactory(title="Aisle dinners", organization=bridging)
    InitiativeFactory(title="Other work")
    assert [
        o.name for o in client.get("/organizations/?cross_partisan=true").context["object_list"]
    ] == ["Across the Aisle"]
    assert [
        i.title for i in client.get("/initiatives/?cross_partisan=true").context["object_list"]
    ] == ["Aisle dinners"]
    api = client.get("/api/v1/organizations/?cross_partisan=true").json()
    assert [o["name"] for o in api["results"]] == ["Across the Aisle"]
    assert api["results"][0]["cross_partisan"] is True
    assert (
        "Works across the divide (self-declared)"
        in client.get(bridging.get_absolute_url()).content.decode()
    )


def test_the_cached_coverage_page_follows_a_new_listing(client, coverage_world):
    role = Role.objects.get(slug="mediators")

    def table(url: str) -> str:
        html = client.get(url).content.decode()
        return html[html.index('class="coverage"') : html.index("</table>")]

    before = table("/coverage/?state=NY")
    assert table("/coverage/?state=NY") == before  # served again (from the cache)
    InitiativeFactory(postal_code="10001", roles=[role], goals=list(Goal.objects.all()[:1]))
    after = table("/coverage/?state=NY")
    assert after != before
    assert after.count('class="heat-0"') == before.count('class="heat-0"') - 1  # its one cell


def test_each_coverage_cell_says_its_counts_to_screen_readers_in_the_readers_language(
    client, coverage_world
):
    html = client.get("/coverage/").content.decode()
    # mediators × compromise: 2 organizations, 2 initiatives; × reconciliation: 0 and 1
    assert '4<span class="visually-hidden"> (2 organizations, 2 initiatives)</span>' in html
    assert '1<span class="visually-hidden"> (0 organizations, 1 initiative)</span>' in html
    spanish = client.get("/coverage/?lang=es").content.decode()
    assert '4<span class="visually-hidden"> (2 organizaciones, 2 iniciativas)</span>' in spanish
