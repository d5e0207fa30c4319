"""Feeds answer a bad search as the page does, calendars name no made-up organizer, the site has
a favicon, and a page opened in a language (``?lang=es``) keeps it in its links."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from directory.models import Event
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def make_event(organization, **kwargs) -> Event:
    start = timezone.now() + timedelta(days=3)
    event = Event(
        organization=organization,
        title="Town forum",
        slug=f"forum-{organization.slug}",
        summary="A public forum.",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        mode="in_person",
        postal_code="80302",
        status="published",
        published_at=timezone.now(),
        **kwargs,
    )
    event.save()
    return event


def vevents(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def test_an_event_of_an_organization_without_an_address_has_no_organizer(client):
    event = make_event(OrganizationFactory(email=""))
    (item,) = vevents(client.get(f"/events/{event.slug}/event.ics").content)
    assert "ORGANIZER" not in item
    assert b"noreply@localhost" not in client.get("/events/feed.ics").content


def test_an_event_of_an_organization_with_an_address_names_it_as_organizer(client):
    make_event(OrganizationFactory(name="Porch Talks", email="hello@example.org"))
    (item,) = vevents(client.get("/events/feed.ics").content)
    assert str(item["ORGANIZER"]) == "mailto:hello@example.org"
    assert item["ORGANIZER"].params["CN"] == "Porch Talks"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/feeds/initiatives.atom?near=123", "is not a 5-digit ZIP code"),
        ("/feeds/initiatives.atom?goal=no-such-goal", "There is no goal"),
        ("/events/feed.ics?state=ZZ", "is not a U.S. state code"),
        ("/events/feed.ics?from=not-a-date", "Enter a valid date"),
    ],
)
def test_a_feed_of_a_search_that_cannot_run_answers_400_with_the_reason(client, url, message):
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert message in response.content.decode()


def test_feeds_of_valid_searches_still_answer(client):
    InitiativeFactory(title="Porch conversations", postal_code="80302")
    atom = client.get("/feeds/initiatives.atom?near=80302")
    assert atom.status_code == 200 and b"Porch conversations" in atom.content
    assert client.get("/events/feed.ics?state=CO").status_code == 200


def test_the_site_serves_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an icon file (ICO header)
    assert "max-age" in response["Cache-Control"]
    # Pages name it too, at its static address.
    assert re.search(r'<link rel="icon" href="/static/favicon[^"]*\.ico"', client.get("/").text)


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_links_on_a_page_opened_in_spanish_keep_the_language(client):
    initiative = InitiativeFactory(title="Círculos de conversación", postal_code="80302")
    html = client.get("/initiatives/?lang=es&near=80302").text
    found = links(html)
    detail = initiative.get_absolute_url()
    assert f"{detail}?lang=es" in found
    assert f"{initiative.organization.get_absolute_url()}?lang=es" in found
    assert "/about/?lang=es#paper" in found  # before the fragment
    # Every link to another page of the site carries it; static files and anchors are left.
    local = [url for url in found if url.startswith(("/", "?")) and not url.startswith("//")]
    assert local and all("lang=es" in url for url in local if not url.startswith("/static/"))
    assert all("lang" not in url for url in found if url.startswith(("/static/", "#")))
    assert '<input type="hidden" name="lang" value="es">' in html  # the filters form keeps it
    # Following a link: the detail page is in Spanish, and its links go on in Spanish.
    page = client.get(f"{detail}?lang=es")
    assert page["Content-Language"] == "es"
    assert "/initiatives/?lang=es" in links(page.text)


def test_a_link_with_a_query_gets_the_language_once_after_it(client):
    event = make_event(OrganizationFactory())
    month = event.local_start.strftime("%Y-%m")
    html = client.get(f"/events/?lang=es&view=month&month={month}").text
    month_links = [url for url in links(html) if url.startswith("?view=month&amp;month=")]
    assert len(month_links) == 2  # previous and next month
    for url in month_links:
        assert re.fullmatch(r"\?view=month&amp;month=\d{4}-\d\d&amp;lang=es", url), url
    # Links that carried the page's own query (and so its lang=es already) are not changed.
    assert all(url.count("lang=es") == 1 for url in links(html) if "lang=" in url)


def test_links_are_left_alone_without_a_language_in_the_address(client):
    initiative = InitiativeFactory()
    html = client.get("/initiatives/").text
    assert initiative.get_absolute_url() in links(html)
    assert not any("lang=" in url for url in links(html))
