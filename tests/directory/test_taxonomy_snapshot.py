"""The taxonomy as list pages show it (directory/search/taxonomy.py): read once per process and
language, read again after any edit, and the same labels and links as the models give."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from directory.models import Language
from directory.search.taxonomy import VERSION_KEY, taxonomy, with_terms
from goals.models import Goal
from roles.models import Role, RoleGroup
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_it_holds_the_whole_taxonomy_in_the_papers_order():
    snapshot = taxonomy()
    assert [goal.slug for goal in snapshot.goals] == list(
        Goal.objects.order_by("number").values_list("slug", flat=True)
    )
    assert [goal.number for goal in snapshot.goals] == list(range(1, 8))
    assert [group.letter for group in snapshot.groups] == list("ABCDEFGHIJK")
    roles = [role for group in snapshot.groups for role in group.roles]
    assert len(roles) == Role.objects.count() == 53
    for term in roles:
        role = Role.objects.get(pk=term.pk)
        assert (term.slug, term.name, term.label, term.url) == (
            role.slug,
            role.name,
            role.label,  # "Mediators (De-Escalators)": the label tells namesakes apart
            role.get_absolute_url(),
        )
        assert term in next(g for g in snapshot.groups if g.pk == role.group_id).roles
    assert [lang.slug for lang in snapshot.languages] == list(
        Language.objects.order_by("order", "code").values_list("code", flat=True)
    )


def test_it_is_read_once_then_costs_no_query():
    taxonomy()
    with CaptureQueriesContext(connection) as captured:
        taxonomy()
        taxonomy()
    assert len(captured.captured_queries) == 0


def test_each_language_has_its_own_labels():
    with translation.override("es"):
        spanish = taxonomy()
    english = taxonomy()
    mediators = "de-escalation-mediators"
    assert english.roles[Role.objects.get(slug=mediators).pk].label == "Mediators (De-Escalators)"
    assert spanish.roles[Role.objects.get(slug=mediators).pk].label == "Mediadores (Desescaladores)"
    assert english.goals[0].name != spanish.goals[0].name


@pytest.mark.parametrize(
    "edit",
    [
        lambda: Goal.objects.filter(number=1).first().save(),
        lambda: Role.objects.get(slug="facilitators").save(),
        lambda: RoleGroup.objects.order_by("order").first().save(),
        lambda: Language.objects.create(code="zz", name="Zedish", order=0),
    ],
    ids=["goal", "role", "group", "language"],
)
def test_an_edit_anywhere_in_the_taxonomy_is_seen_at_once(edit):
    taxonomy()
    before = cache.get(VERSION_KEY)
    edit()
    assert cache.get(VERSION_KEY) != before


def test_a_renamed_role_shows_on_the_next_list_page(client):
    role = Role.objects.get(slug="facilitators")
    InitiativeFactory(title="Circle one", roles=[role])
    assert "Facilitators</a>" in client.get("/initiatives/").content.decode()
    role.name_en = "Meeting facilitators"
    role.save()
    html = client.get("/initiatives/").content.decode()  # the same URL: not the stored page
    assert "Meeting facilitators</a>" in html
    assert '<option value="facilitators">Meeting facilitators</option>' in html


def test_an_emptied_cache_makes_a_new_version_not_a_stale_one():
    taxonomy()
    Role.objects.filter(slug="facilitators").update(name_en="Renamed without a signal")
    cache.clear()  # as after a Redis restart: the version is gone
    assert taxonomy().roles[Role.objects.get(slug="facilitators").pk].name == (
        "Renamed without a signal"
    )


def test_listings_get_their_roles_goals_and_languages_as_terms_in_one_query():
    roles = list(Role.objects.filter(slug__in=["mediators", "facilitators", "bridge-builders"]))
    goals = list(Goal.objects.filter(slug__in=["compromise", "reconciliation"]))
    organization = OrganizationFactory(goals=goals[:1])
    rows = [
        InitiativeFactory(
            organization=organization, roles=roles, goals=goals, languages=["es", "en"]
        )
        for _ in range(3)
    ]
    bare = InitiativeFactory(organization=organization, roles=[], goals=[], languages=[])
    taxonomy()
    with CaptureQueriesContext(connection) as captured:
        with_terms([*rows, bare])
    assert len(captured.captured_queries) == 1  # the three link tables, for the whole page
    expected = sorted(roles, key=lambda role: role.number)
    for row in rows:
        assert [term.slug for term in row.role_terms] == [role.slug for role in expected]
        assert [term.label for term in row.role_terms] == [role.label for role in expected]
        assert [term.group_name for term in row.role_terms] == [
            role.group.name for role in expected
        ]
        assert [term.slug for term in row.goal_terms] == [
            goal.slug for goal in sorted(goals, key=lambda goal: goal.number)
        ]
        assert [term.slug for term in row.language_terms] == ["en", "es"]
    assert (bare.role_terms, bare.goal_terms, bare.language_terms) == ([], [], [])
    with_terms([organization])  # organizations have the same three link tables
    assert [term.slug for term in organization.goal_terms] == [goals[0].slug]


def test_every_page_of_cards_shows_their_role_tags(client):
    """Cards read ``role_terms`` (``with_terms``): each page that shows cards must give them."""
    from tests.factories import EventFactory

    role = Role.objects.get(slug="facilitators")
    goal = Goal.objects.get(slug="compromise")
    organization = OrganizationFactory(roles=[role], goals=[goal])
    InitiativeFactory(organization=organization, roles=[role], goals=[goal])
    EventFactory(organization=organization, roles=[role], goals=[goal])
    tag = f'<a class="tag" href="{role.get_absolute_url()}">Facilitators</a>'
    for url in (
        "/",
        "/initiatives/",
        "/organizations/",
        "/events/",
        role.get_absolute_url(),
        goal.get_absolute_url(),
    ):
        assert tag in client.get(url).content.decode(), url


def test_a_request_reads_the_version_once_and_sees_an_edit_made_during_it(client, monkeypatch):
    """A list asks for the taxonomy several times; the version behind it is one cache read per
    request. Outside a request every call reads it; an edit inside one is seen at once."""
    import directory.search.taxonomy as module

    reads = []
    get = module.cache.get
    monkeypatch.setattr(
        module.cache,
        "get",
        lambda key, *a, **k: reads.append(key) or get(key, *a, **k),
        raising=False,
    )
    taxonomy()  # a version exists from here on
    reads.clear()
    taxonomy(), taxonomy()
    assert reads.count(VERSION_KEY) == 2  # no request: read each time
    reads.clear()
    # The filters' role menu, the facets, the cards and the group filter all use it.
    assert client.get("/initiatives/?group=grassroots-citizens").status_code == 200
    assert reads.count(VERSION_KEY) == 1
    module._request_started()  # what the request_started signal runs
    try:
        first = taxonomy()
        goal = Goal.objects.get(number=1)
        goal.title = "Renamed in this request"
        goal.save()
        assert taxonomy() is not first
        assert taxonomy().goals[0].name == "Renamed in this request"
    finally:
        module._request_finished()
    reads.clear()
    taxonomy()
    assert reads.count(VERSION_KEY) == 1  # the request is over: read again
