"""The event form's time zone: U.S. zones first, by the names people know, and a default taken
from where the event most likely happens (its organization's place), not always New York."""

import pytest

from directory.forms.events import EventForm
from directory.models import Event, Membership
from directory.search.geo import place_timezone
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = UserFactory(
        username="member@example.org",
        email="member@example.org",
        password="x-Long-pass-42",
        verified=True,
    )
    client.force_login(user)
    return user


def organization_of(member, **kwargs):
    org = OrganizationFactory(**kwargs)
    Membership.objects.create(user=member, organization=org, role="owner")
    return org


def selected_zone(html: str) -> str:
    select = html[html.index('name="timezone"') :]
    select = select[: select.index("</select>")]
    option = select[: select.index(" selected")]
    return option[option.rindex('value="') + 7 :].split('"')[0]


def test_the_default_zone_is_the_organizations(client, member):
    organization_of(member, postal_code="80302")  # Boulder, Colorado
    html = client.get("/submit/event/").content.decode()
    assert selected_zone(html) == "America/Denver"


def test_a_state_without_a_zip_code_gives_its_zone(member):
    org = organization_of(member, postal_code="", state="AZ", scope="state")
    assert EventForm(user=member, initial={"organization": org.slug}).initial["timezone"] == (
        "America/Phoenix"
    )
    assert place_timezone("96910") == "Pacific/Guam"


def test_the_chosen_organization_decides_among_several(client, member):
    organization_of(member, postal_code="80302")
    seattle = organization_of(member, postal_code="98101")
    html = client.get(f"/submit/event/?organization={seattle.slug}").content.decode()
    assert selected_zone(html) == "America/Los_Angeles"
    # Two places and none chosen: nothing to go on, so the form keeps its plain default.
    html = client.get("/submit/event/").content.decode()
    assert selected_zone(html) == Event._meta.get_field("timezone").default


def test_us_zones_come_first_by_their_common_names(client, member):
    organization_of(member, postal_code="80302")
    html = client.get("/submit/event/").content.decode()
    us_zones = html.index('<optgroup label="U.S. time zones">')
    other_zones = html.index('<optgroup label="Other time zones">')
    assert us_zones < html.index(">Mountain (Denver)<") < html.index(">Pacific (Los Angeles)<")
    assert html.index("Indiana/Indianapolis") < other_zones < html.index("Argentina/Buenos Aires")
    assert html.count('value="America/Denver"') == 1


def test_an_online_event_is_saved_in_the_zone_offered(client, member):
    org = organization_of(member, postal_code="80302")
    data = {
        "organization": org.slug,
        "title": "Online forum",
        "summary": "A forum.",
        "mode": "online",
        "starts_at": "2031-05-01T18:00",
        "join_url": "https://meet.example/x",
        "timezone": selected_zone(client.get("/submit/event/").content.decode()),
    }
    assert client.post("/submit/event/", data).status_code == 302
    event = Event.objects.get(title="Online forum")
    assert event.timezone == "America/Denver"
    assert event.local_start.hour == 18
