"""Events: time zones and all-day events, filters and dates, iCalendar, API, moderation."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from directory.models import Event
from roles.models import Role
from tests.factories import EventFactory, InitiativeFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

DENVER = ZoneInfo("America/Denver")


def make_event(**kwargs) -> Event:
    """A published in-person "Town forum" in Boulder, three days ahead and two hours long
    (``EventFactory``; other test modules import this name)."""
    return EventFactory(**kwargs)


def parse(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def test_an_event_keeps_its_local_time_zone_from_the_zip():
    start = datetime(2027, 3, 5, 18, 30, tzinfo=DENVER)
    event = make_event(starts_at=start, ends_at=start + timedelta(hours=2))
    assert event.timezone == "America/Denver"
    assert event.local_start.strftime("%H:%M") == "18:30"
    assert event.starts_at.astimezone(UTC).hour == 1  # stored in UTC: 01:30 next day


def test_the_ics_round_trips_start_and_end_with_the_time_zone(client):
    start = datetime(2027, 3, 5, 18, 30, tzinfo=DENVER)
    event = make_event(starts_at=start, ends_at=start + timedelta(hours=2))
    response = client.get(f"/events/{event.slug}/event.ics")
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    (vevent,) = parse(response.content)
    assert vevent.decoded("dtstart") == start
    assert vevent.decoded("dtend") == start + timedelta(hours=2)
    assert str(vevent["uid"]) == f"{event.uuid}@mpdb-directory"
    assert b"BEGIN:VTIMEZONE" in response.content and b"TZID:America/Denver" in response.content


def test_an_all_day_event_exports_as_dates_with_an_exclusive_end(client):
    start = datetime(2027, 4, 10, 0, 0, tzinfo=DENVER)
    event = make_event(
        title="Service day",
        all_day=True,
        starts_at=start,
        ends_at=datetime(2027, 4, 11, 23, 59, tzinfo=DENVER),
    )
    (vevent,) = parse(client.get(f"/events/{event.slug}/event.ics").content)
    assert vevent.decoded("dtstart") == date(2027, 4, 10)
    assert vevent.decoded("dtend") == date(2027, 4, 12)
    html = client.get(event.get_absolute_url()).content.decode()
    assert "Saturday, April 10, 2027 – Sunday, April 11, 2027 · all day" in html


def test_the_event_page_has_schema_org_event_jsonld(client):
    import json
    import re

    event = make_event(mode="hybrid", join_url="https://meet.example/x", cost="Free")
    html = client.get(event.get_absolute_url()).content.decode()
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    )
    assert data["@type"] == "Event"
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert data["startDate"] == event.local_start.isoformat()
    assert [loc["@type"] for loc in data["location"]] == ["Place", "VirtualLocation"]
    assert data["isAccessibleForFree"] is True
    assert "Add to my calendar" in html


def test_past_events_drop_out_of_listings_but_stay_reachable(client):
    past = make_event(title="Last year forum", starts_at=timezone.now() - timedelta(days=30))
    coming = make_event(title="Next week forum")
    found = [e.title for e in client.get("/events/").context["object_list"]]
    assert found == ["Next week forum"]
    assert client.get(past.get_absolute_url()).status_code == 200
    assert "has taken place" in client.get(past.get_absolute_url()).content.decode()
    with_past = [e.title for e in client.get("/events/?past=true").context["object_list"]]
    assert set(with_past) == {past.title, coming.title}


def test_a_past_event_stays_reachable_in_the_api(client):
    past = make_event(starts_at=timezone.now() - timedelta(days=40))
    assert client.get(f"/api/v1/events/{past.uuid}/").status_code == 200


def test_date_ranges_mode_and_place_filters(client):
    base = datetime(2027, 6, 1, 18, tzinfo=DENVER)
    june = make_event(title="June forum", starts_at=base)
    july = make_event(
        title="July training",
        starts_at=base + timedelta(days=35),
        mode="online",
        postal_code="",
        join_url="https://meet.example/t",
        scope="online",
    )
    chicago = make_event(
        title="Chicago meetup", starts_at=base + timedelta(days=2), postal_code="60601"
    )

    def titles(query):
        response = client.get(f"/events/?{query}")
        assert response.status_code == 200, response.context.get("errors")
        return [e.title for e in response.context["object_list"]]

    assert titles("from=2027-06-01&to=2027-06-30") == [june.title, chicago.title]
    assert titles("from=2027-06-01&mode=online") == [july.title]
    assert titles("from=2027-06-01&near=80302&radius=30") == [june.title]
    assert titles("from=2027-06-01&state=IL") == [chicago.title]
    api = client.get("/api/v1/events/?from=2027-06-01&to=2027-06-30").json()
    assert [e["title"] for e in api["results"]] == [june.title, chicago.title]
    assert client.get("/events/?from=not-a-date").status_code == 400


def test_the_month_view_places_events_on_their_local_day(client):
    late = datetime(2027, 6, 30, 22, 0, tzinfo=DENVER)  # already July 1st in UTC
    make_event(title="Late June talk", starts_at=late, ends_at=late + timedelta(hours=1))
    response = client.get("/events/?view=month&month=2027-06")
    cells = [day for week in response.context["weeks"] for day in week]
    june_30 = next(d for d in cells if d["date"] == date(2027, 6, 30))
    assert [e.title for e in june_30["events"]] == ["Late June talk"]
    assert "June 2027" in response.content.decode()


def test_the_ical_feed_takes_any_search_and_calendar_apps_can_parse_it(client):
    make_event(title="Forum A")
    event_b = make_event(title="Forum B", postal_code="60601")
    make_event(title="Pending forum", status="pending")
    response = client.get("/events/feed.ics?state=IL")
    assert response["Content-Type"].startswith("text/calendar")
    assert [str(v["summary"]) for v in parse(response.content)] == [event_b.title]
    everything = [str(v["summary"]) for v in parse(client.get("/events/feed.ics").content)]
    assert "Pending forum" not in everything and len(everything) == 2


def test_pending_events_are_never_public(client):
    pending = make_event(title="Secret pending event", status="pending")
    assert client.get(pending.get_absolute_url()).status_code == 404
    for url in [
        "/events/",
        "/events/feed.ics",
        "/api/v1/events/",
        "/api/v1/events/?format=csv",
        "/api/v1/changes/",
        "/embed/events/",
        "/sitemap.xml",
    ]:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"Secret pending event" not in body, url


def test_a_published_event_is_hidden_with_its_pending_initiative(client):
    secret = InitiativeFactory(title="Secret pending initiative", status="pending")
    event = make_event(organization=secret.organization)
    Event.objects.filter(pk=event.pk).update(initiative=secret)
    assert client.get(event.get_absolute_url()).status_code == 404


def test_events_show_on_their_organization_initiative_and_role_pages(client):
    role = Role.objects.get(slug="convenors")
    initiative = InitiativeFactory()
    event = make_event(
        title="Open forum", organization=initiative.organization, initiative=initiative
    )
    event.roles.set([role])
    for url in [
        initiative.organization.get_absolute_url(),
        initiative.get_absolute_url(),
        role.get_absolute_url(),
    ]:
        assert "Open forum" in client.get(url).content.decode(), url


def test_events_are_in_the_change_feed(client):
    event = make_event(title="Fed event")
    items = client.get("/api/v1/changes/").json()["results"]
    assert ("event", str(event.uuid)) in {(i["type"], i["id"]) for i in items}


def test_validation_rules_for_events():
    from django.core.exceptions import ValidationError

    org = OrganizationFactory()
    start = timezone.now() + timedelta(days=2)
    cases = [
        ({"mode": "in_person", "postal_code": ""}, "postal_code"),
        ({"mode": "online", "postal_code": "", "join_url": ""}, "join_url"),
        ({"ends_at": start - timedelta(hours=1)}, "ends_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ]
    for change, field in cases:
        values = {
            "organization": org,
            "title": "x",
            "summary": "y",
            "slug": "x",
            "starts_at": start,
            "postal_code": "80302",
            **change,
        }
        with pytest.raises(ValidationError) as error:
            Event(**values).full_clean()
        assert field in error.value.message_dict, change


def test_pages_show_the_events_local_time_not_utc(client):
    start = datetime(2027, 3, 5, 18, 30, tzinfo=DENVER)
    event = make_event(starts_at=start, ends_at=start + timedelta(hours=2))
    html = client.get(event.get_absolute_url()).content.decode()
    assert "Friday, March 5, 2027 · 6:30 PM – 8:30 PM MST" in html
    listing = client.get("/events/?from=2027-03-01").content.decode()
    assert "Friday, March 5, 2027 · 6:30 PM MST" in listing


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"ends_at": None, "all_day": True}, {"ends_at": None, "all_day": False}],
    ids=["with an end", "all day, no end", "timed, no end"],
)
def test_over_at_is_when_upcoming_lets_an_event_go(kwargs):
    event = make_event(**kwargs)
    second = timedelta(seconds=1)
    upcoming = Event.objects.filter(pk=event.pk).upcoming
    assert upcoming(event.over_at - second).exists()
    assert not upcoming(event.over_at + second).exists()


def test_an_all_day_event_stays_upcoming_through_its_day():
    now = timezone.now()
    event = make_event(all_day=True, starts_at=now - timedelta(hours=5), ends_at=None)
    assert Event.objects.upcoming().filter(pk=event.pk).exists()
    assert not event.is_past


# Members manage their events as they do initiatives: dashboard, edit through review, withdraw,
# report (issue 17, item 4).


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


def my_event(member, **kwargs):
    from directory.models import Membership

    org = OrganizationFactory()
    Membership.objects.create(user=member, organization=org, role="editor")
    start = datetime(2027, 3, 5, 19, 0, tzinfo=DENVER)
    return make_event(
        organization=org, starts_at=start, ends_at=start + timedelta(hours=2), **kwargs
    )


def event_form(event, **changes):
    return {
        "title": event.title,
        "summary": event.summary,
        "description": "",
        "starts_at": "2027-03-05T19:00",
        "ends_at": "2027-03-05T21:00",
        "timezone": event.timezone,
        "mode": event.mode,
        "postal_code": event.postal_code,
        "join_url": "",
        "registration_url": "",
        "cost": "",
        "accessibility": "",
        "website": "",
        **changes,
    }


def test_a_submitted_event_shows_on_the_dashboard_with_its_status_and_actions(client, member):

    org = OrganizationFactory(owner=member)
    response = client.post(
        "/submit/event/",
        {
            "organization": org.slug,
            **event_form(
                Event(title="Harbor forum", summary="s", mode="in_person", postal_code="80302")
            ),
        },
    )
    assert response.status_code == 302
    event = Event.objects.get(title="Harbor forum")
    page = client.get("/dashboard/").content.decode()
    assert "Harbor forum" in page and "Pending review" in page
    assert f"/dashboard/events/{event.slug}/edit/" in page
    assert f"/dashboard/events/{event.slug}/withdraw/" in page
    # Pending: an edit applies at once (nothing to review twice).
    client.post(f"/dashboard/events/{event.slug}/edit/", event_form(event, title="Harbor forum II"))
    event.refresh_from_db()
    assert (event.title, event.status) == ("Harbor forum II", "pending")


def test_the_event_form_reads_times_in_the_venues_zone(client, member):
    org = OrganizationFactory(owner=member)
    response = client.post(
        "/submit/event/",
        {
            "organization": org.slug,
            "title": "Denver forum",
            "summary": "s",
            "starts_at": "2027-03-05T19:00",
            "timezone": "America/New_York",
            "mode": "in_person",
            "postal_code": "80302",
            "scope": "local",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(title="Denver forum")
    assert event.timezone == "America/Denver"
    assert event.starts_at.astimezone(ZoneInfo("America/Denver")).hour == 19


def test_editing_a_published_event_waits_for_a_curator(client, member):
    from directory.models import ChangeRequest
    from directory.services.edit_forms import proposed_edit
    from directory.services.moderation import decide

    event = my_event(member)
    url = f"/dashboard/events/{event.slug}/edit/"
    form = client.get(url).content.decode()
    assert 'value="2027-03-05T19:00"' in form  # the time as typed, in the venue's zone
    response = client.post(
        url, event_form(event, title="Town forum, moved", starts_at="2027-03-06T18:30", ends_at="")
    )
    assert response.status_code == 302
    change = ChangeRequest.objects.get(event=event)
    event.refresh_from_db()
    assert event.title == "Town forum"  # the public keeps the current version
    page = client.get(f"/dashboard/changes/{change.pk}/").content.decode()
    assert "<ins>Town forum, moved</ins>" in page

    curator = UserFactory(username="c", password=None)
    decide(by=curator, target=change, action="approve", edit=proposed_edit(change))
    event.refresh_from_db()
    assert event.title == "Town forum, moved"
    assert event.starts_at.astimezone(DENVER) == datetime(2027, 3, 6, 18, 30, tzinfo=DENVER)


def test_members_withdraw_their_event(client, member):
    event = my_event(member)
    assert client.post(f"/dashboard/events/{event.slug}/withdraw/").status_code == 302
    event.refresh_from_db()
    assert event.status == "archived"
    assert client.get(event.get_absolute_url()).status_code == 404


def test_other_peoples_events_are_404_on_member_routes(client, member):
    event = make_event()
    assert client.get(f"/dashboard/events/{event.slug}/edit/").status_code == 404
    assert client.post(f"/dashboard/events/{event.slug}/withdraw/").status_code == 404
    event.refresh_from_db()
    assert event.status == "published"


def test_anyone_can_report_a_problem_with_an_event(client):
    from directory.models import Report

    event = make_event()
    assert f"/report/events/{event.slug}/" in client.get(event.get_absolute_url()).content.decode()
    response = client.post(
        f"/report/events/{event.slug}/", {"kind": "outdated", "message": "It moved online."}
    )
    assert response.status_code == 302
    assert Report.objects.get().target == event


def test_an_unchanged_event_sends_nothing_and_a_second_edit_starts_from_the_first(client, member):
    from directory.models import ChangeRequest

    event = my_event(member)
    url = f"/dashboard/events/{event.slug}/edit/"
    response = client.post(url, event_form(event), follow=True)
    assert "Nothing changed" in response.content.decode()
    assert not ChangeRequest.objects.exists()

    moved = event_form(event, starts_at="2027-03-06T18:30", ends_at="2027-03-06T20:00")
    client.post(url, moved)
    form = client.get(url).content.decode()
    assert 'value="2027-03-06T18:30"' in form and "This form starts from your changes" in form
    client.post(url, moved)
    assert ChangeRequest.objects.get().status == "pending"
