"""Detail pages: how to help first, linked roles and goals, trust signals, valid JSON-LD."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection

from directory.search.taxonomy import taxonomy
from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def jsonld_blocks(html: str) -> list[dict]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in found]


def test_initiative_page_answers_how_to_help_and_links_roles_and_goals(
    client, django_assert_num_queries
):
    role = Role.objects.get(slug="facilitators")
    goal = Goal.objects.get(slug="compromise")
    initiative = InitiativeFactory(
        title="Town talks",
        welcomes_newcomers=True,
        get_involved="Come to the next talk.",
        get_involved_url="https://example.org/join",
        postal_code="80302",
        roles=[role],
        goals=[goal],
        source="self",
    )
    taxonomy()  # read once per process and taxonomy version, not per page
    # The initiative and its organization, its roles, goals and languages (one statement; on
    # PostgreSQL read with its row, none), its sources, its events.
    with django_assert_num_queries(4 - (connection.vendor == "postgresql")):
        response = client.get(initiative.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    help_at = html.index("How to get involved")
    assert html.index("Come to the next talk.") > help_at
    assert "Newcomers are welcome" in html
    assert 'href="https://example.org/join"' in html
    assert role.get_absolute_url() in html and goal.get_absolute_url() in html
    assert initiative.organization.get_absolute_url() in html
    assert "Self-registered" in html
    assert "Not yet verified" in html
    assert "Boulder, CO" in html


def test_initiative_jsonld_is_a_valid_schema_org_project(client):
    initiative = InitiativeFactory(title="Town talks", postal_code="80302", website="https://a.org")
    blocks = jsonld_blocks(client.get(initiative.get_absolute_url()).content.decode())
    assert len(blocks) == 1
    data = blocks[0]
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Project"
    assert data["name"] == "Town talks"
    assert data["url"] == f"http://testserver{initiative.get_absolute_url()}"
    assert data["parentOrganization"]["@type"] == "Organization"
    assert data["location"]["address"]["addressLocality"] == "Boulder"
    assert data["location"]["geo"]["latitude"] == pytest.approx(40.0172)
    assert data["identifier"] == str(initiative.uuid)


def test_organization_jsonld_is_a_valid_schema_org_organization(client):
    org = OrganizationFactory(name="Civic Hub", email="hello@civichub.example")
    data = jsonld_blocks(client.get(org.get_absolute_url()).content.decode())[0]
    assert data["@type"] == "Organization"
    assert data["name"] == "Civic Hub"
    assert data["email"] == "hello@civichub.example"


def test_user_text_cannot_break_out_of_the_jsonld_script(client):
    payload = '</script><script>alert("x")</script> & <b>'
    initiative = InitiativeFactory(title=payload, summary=payload)
    html = client.get(initiative.get_absolute_url()).content.decode()
    assert '<script>alert("x")</script>' not in html
    data = jsonld_blocks(html)[0]
    assert data["name"] == payload  # escaped in HTML, intact as data
    assert "&lt;/script&gt;&lt;script&gt;" in html  # the visible title is escaped


def test_organization_page_lists_its_initiatives_and_networks(client, django_assert_num_queries):
    network = OrganizationFactory(name="Bridge Network", is_network=True)
    org = OrganizationFactory(name="Member Group")
    org.networks.add(network)
    InitiativeFactory(organization=org, title="Published work")
    InitiativeFactory(organization=org, title="Pending work", status="pending")
    taxonomy()  # read once per process and taxonomy version, not per page
    # The organization, its roles, goals and languages (one statement; on PostgreSQL read with
    # its row, none), sources, initiatives, networks, members and events.
    with django_assert_num_queries(7 - (connection.vendor == "postgresql")):
        response = client.get(org.get_absolute_url())
    html = response.content.decode()
    assert "Published work" in html and "Pending work" not in html
    assert "Bridge Network" in html
    network_html = client.get(network.get_absolute_url()).content.decode()
    assert "Members of this network" in network_html and "Member Group" in network_html


def test_demo_entries_are_labelled_as_examples(client):
    initiative = InitiativeFactory(is_demo=True)
    html = client.get(initiative.get_absolute_url()).content.decode()
    assert "Example entry" in html
    list_html = client.get("/initiatives/").content.decode()
    assert "Example entry" in list_html


def test_atom_feed_parses_and_takes_the_list_filters(client):
    goal = Goal.objects.get(slug="reconciliation")
    InitiativeFactory(title="Healing circles", goals=[goal])
    InitiativeFactory(title="Ballot help")
    response = client.get("/feeds/initiatives.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert {e.find(f"{ATOM}title").text for e in root.iter(f"{ATOM}entry")} == {
        "Healing circles",
        "Ballot help",
    }
    filtered = ET.fromstring(client.get("/feeds/initiatives.atom?goal=reconciliation").content)
    assert [e.find(f"{ATOM}title").text for e in filtered.iter(f"{ATOM}entry")] == [
        "Healing circles"
    ]


def test_atom_feed_with_bad_filters_answers_400_like_the_page(client):
    InitiativeFactory()
    response = client.get("/feeds/initiatives.atom?near=nope")
    assert response.status_code == 400  # not an empty feed, which reads as "nothing new"
    assert "“nope” is not a 5-digit ZIP code." in response.content.decode()


def test_sitemap_lists_published_pages_and_the_taxonomy(client):
    initiative = InitiativeFactory()
    response = client.get("/sitemap.xml")
    body = response.content.decode()
    assert response.status_code == 200
    assert f"http://testserver{initiative.get_absolute_url()}" in body
    assert "http://testserver/roles/bridge-builders/" in body
    assert "http://testserver/goals/compromise/" in body


def test_initiative_page_is_cached_until_the_listing_changes_and_events_follow_the_clock(
    client, django_assert_num_queries, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.directory.test_events import make_event

    initiative = InitiativeFactory(
        title="Town talks", summary="Talks in town.", postal_code="80302"
    )
    event = make_event(organization=initiative.organization, initiative=initiative, title="Forum")
    url = initiative.get_absolute_url()
    first = client.get(url).content.decode()
    assert "Town talks" in first and "Forum" in first
    # Warm: the listing's parts and its events come from the cache: no query at all.
    with django_assert_num_queries(0):
        again = client.get(url).content.decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')  # masked anew per request
    assert token.sub("", again) == token.sub("", first)
    assert jsonld_blocks(again) == jsonld_blocks(first) != []
    # The clock passes the event's end, with no write to any listing: it leaves at once.
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: event.ends_at + timedelta(seconds=1))
    assert "Forum" not in client.get(url).content.decode()
    monkeypatch.setattr(timezone, "now", real_now)
    # A change to the listing shows at once, in English and in Spanish (separate entries).
    spanish = client.get(url + "?lang=es").content.decode()
    assert "Cómo participar" in spanish and "Town talks" in spanish
    initiative.title = "Town talks, renamed"
    initiative.save()
    assert "<title>Town talks, renamed" in client.get(url).content.decode()
    assert "Town talks, renamed" in client.get(url + "?lang=es").content.decode()
    # Unpublished: a 404 at once, although its page was cached a moment ago.
    initiative.status = "archived"
    initiative.save()
    assert client.get(url).status_code == 404


def test_detail_pages_list_their_next_ten_published_events_soonest_first(client):
    from datetime import timedelta

    from django.utils import timezone

    from tests.directory.test_events import make_event

    initiative = InitiativeFactory(title="Town talks")
    organization = initiative.organization
    now = timezone.now()
    for day in range(12, 0, -1):  # made latest first: the page must sort them
        make_event(
            organization=organization,
            initiative=initiative if day % 2 else None,
            title=f"Forum {day:02d}",
            starts_at=now + timedelta(days=day),
            ends_at=now + timedelta(days=day, hours=2),
        )
    make_event(organization=organization, title="Forum draft", status="pending")
    make_event(
        organization=organization,
        title="Forum past",
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2) + timedelta(hours=2),
    )

    def shown(listing) -> list[str]:
        html = client.get(listing.get_absolute_url()).content.decode()
        section = re.search(r'<h2 id="events-h">.*?</section>', html, re.S).group()
        return re.findall(r">(Forum [^<]+)</a>", section)

    assert shown(organization) == [f"Forum {day:02d}" for day in range(1, 11)]
    assert shown(initiative) == [f"Forum {day:02d}" for day in (1, 3, 5, 7, 9, 11)]
