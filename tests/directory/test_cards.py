"""Cards are plain data (``directory.search.cards``): the same badges, links and labels as the
listings themselves give, on every page that shows cards, escaped, in both languages."""

import re

import pytest
from django.core.cache import cache

from directory.models import Scope, Source
from roles.models import Role
from tests.factories import EventFactory, InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def card(html: str, title: str) -> str:
    """The <article> whose heading is ``title``."""
    for article in re.findall(r'<article class="card[^"]*">.*?</article>', html, re.S):
        if f">{title}</a></h3>" in article:
            return article
    raise AssertionError(f"no card for {title!r}")


def badges(article: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="badge (badge-[a-z]+)"[^>]*>([^<]*)</span>', article)


@pytest.fixture
def listings():
    role = Role.objects.get(slug="bridge-builders")
    org = OrganizationFactory(
        name="Porch & Table <Civic>",
        slug="porch-table",
        cross_partisan=True,
        is_network=True,
        postal_code="80302",
        is_demo=True,
        languages=["es", "en"],
        roles=[role],
    )
    plain = InitiativeFactory(title="Plain work", slug="plain-work", scope=Scope.NATIONAL)
    rich = InitiativeFactory(
        title="Listening <b>circles</b>",
        slug="listening-circles",
        organization=org,
        postal_code="80302",
        is_demo=True,
        source=Source.PAPER,
        welcomes_newcomers=True,
        languages=["es"],
        roles=[role],
    )
    cache.clear()
    return {"org": org, "plain": plain, "rich": rich, "role": role}


def test_an_initiative_card_shows_every_badge_link_and_place(client, listings):
    html = client.get("/initiatives/").content.decode()
    rich = card(html, "Listening &lt;b&gt;circles&lt;/b&gt;")
    assert badges(rich) == [
        ("badge-demo", "Example entry"),
        ("badge-paper", "Named in the MPDB paper"),
        ("badge-cross", "Works across the divide (self-declared)"),
        ("badge-language", "In Spanish"),
        ("badge-newcomers", "Welcomes newcomers"),
    ]
    assert 'title="Made-up example data for the demo"' in rich
    assert 'title="The organization says so itself"' in rich
    assert 'href="/initiatives/listening-circles/"' in rich
    assert '<a href="/organizations/porch-table/">Porch &amp; Table &lt;Civic&gt;</a>' in rich
    assert "Boulder, CO" in rich
    role = listings["role"]
    assert f'<a class="tag" href="{role.get_absolute_url()}">{role.label}</a>' in rich
    plain = card(html, "Plain work")
    assert badges(plain) == [] and "National" in plain and "mi away" not in plain


def test_cards_near_a_zip_say_how_far_and_speak_spanish(client, listings):
    html = client.get("/initiatives/?near=80302&radius=25&lang=es").content.decode()
    rich = card(html, "Listening &lt;b&gt;circles&lt;/b&gt;")
    assert "<strong>a 0 mi</strong>" in rich
    assert 'href="/initiatives/listening-circles/?lang=es"' in rich
    assert badges(rich)[0] == ("badge-demo", "Ficha de ejemplo")
    assert ("badge-language", "En Español") in badges(rich)


def test_an_organization_card_and_its_detail_page_show_the_same_badges(client, listings):
    html = client.get("/organizations/?near=80302").content.decode()
    org = card(html, "Porch &amp; Table &lt;Civic&gt;")
    expected = [
        ("badge-demo", "Example entry"),
        ("badge-cross", "Works across the divide (self-declared)"),
        ("badge-language", "In English, Spanish"),  # the curators' order
    ]
    assert badges(org) == expected
    assert "Network or coalition" in org and "0 mi away" in org and "Boulder, CO" in org
    detail = client.get("/organizations/porch-table/").content.decode()
    assert badges(detail) == expected


def test_home_role_pages_and_event_cards_use_the_same_cards(client, listings):
    EventFactory(organization=listings["org"], title="Forum on the porch", source=Source.PAPER)
    cache.clear()
    home = client.get("/").content.decode()
    assert badges(card(home, "Listening &lt;b&gt;circles&lt;/b&gt;"))[0] == (
        "badge-demo",
        "Example entry",
    )
    role = client.get(listings["role"].get_absolute_url()).content.decode()
    assert ("badge-newcomers", "Welcomes newcomers") in badges(
        card(role, "Listening &lt;b&gt;circles&lt;/b&gt;")
    )
    events = client.get("/events/").content.decode()
    assert badges(card(events, "Forum on the porch"))[:2] == [
        ("badge-paper", "Named in the MPDB paper"),
        ("badge-cross", "Works across the divide (self-declared)"),
    ]


def test_badge_spans_write_what_the_badges_template_wrote():
    """``badge_spans`` replaced an included template (``_badges.html``): same markup, escaped."""
    from django.template import engines

    loop = (
        '{% for badge in badges %}<span class="badge {{ badge.css }}"{% if badge.title %}'
        ' title="{{ badge.title }}"{% endif %}>{{ badge.text }}</span>\n{% endfor %}'
    )
    badges = [
        {"css": "badge-demo", "text": "Example <entry>", "title": 'Made-up "data" & more'},
        {"css": "badge-language", "text": "In Español, Tiếng Việt", "title": ""},
    ]

    def render(source: str) -> str:
        template = engines["django"].from_string("{% load directory_tags %}" + source)
        return template.render({"badges": badges})

    written = render("{% badge_spans badges %}")
    assert written == render(loop)
    assert 'title="Made-up &quot;data&quot; &amp; more">Example &lt;entry&gt;</span>' in written
    assert render("{% badge_spans none %}") == ""
