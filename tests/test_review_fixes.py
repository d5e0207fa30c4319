"""Regression tests for defects found in the code review (each failed before its fix)."""

from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from directory.models import ChangeRequest, Event, Membership, ModerationDecision
from directory.moderation import decide
from directory.participation import change_request_approve
from tests.directory.test_events import make_event
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = get_user_model().objects.create_user("m", "m@example.org", "pw-Long-enough-1")
    client.force_login(user)
    return user


def initiative_data(initiative, **extra):
    return {"title": "Edited title", "summary": initiative.summary, "postal_code": "80302",
            "scope": "local", "roles": ["mediators"], **extra}  # fmt: skip


def test_members_can_edit_their_initiatives_and_change_requests_apply(client, member):
    org = OrganizationFactory()
    Membership.objects.create(user=member, organization=org, role="owner")
    pending = InitiativeFactory(organization=org, status="pending", published_at=None)
    response = client.post(f"/dashboard/initiatives/{pending.slug}/edit/", initiative_data(pending))
    assert response.status_code == 302, response.content.decode()[:3000]
    pending.refresh_from_db()
    assert pending.title == "Edited title"

    public = InitiativeFactory(organization=org, title="Public title")
    response = client.post(f"/dashboard/initiatives/{public.slug}/edit/", initiative_data(public))
    assert response.status_code == 302
    change = ChangeRequest.objects.get(initiative=public)
    change_request_approve(change=change, by=member)
    public.refresh_from_db()
    assert (public.title, public.organization) == ("Edited title", org)


def test_editing_an_organization_keeps_its_networks(client, member):
    network = OrganizationFactory(is_network=True, slug="a-network")
    org = OrganizationFactory(status="pending", published_at=None)
    org.networks.add(network)
    Membership.objects.create(user=member, organization=org, role="owner")
    page = client.get(f"/dashboard/organizations/{org.slug}/edit/").content.decode()
    box = page[page.index('value="a-network"') - 120 : page.index('value="a-network"') + 70]
    assert "checked" in box
    client.post(f"/dashboard/organizations/{org.slug}/edit/",
                {"name": "Renamed", "summary": "s", "postal_code": "80302", "scope": "local",
                 "networks": ["a-network"]})  # fmt: skip
    org.refresh_from_db()
    assert org.name == "Renamed" and list(org.networks.all()) == [network]


def test_stale_listings_nobody_manages_are_never_archived_automatically():
    old = timezone.now() - timedelta(days=400)
    orphan = OrganizationFactory(last_verified_at=old)
    for _ in range(2):
        call_command("process_stale_listings", "--grace-days", "0", stdout=StringIO())
    orphan.refresh_from_db()
    assert orphan.status == "published" and orphan.stale_notice_sent_at is None


def test_an_archived_organization_takes_its_initiatives_and_events_with_it(client):
    curator = get_user_model().objects.create_user("c", "c@example.org", "pw-Long-enough-1")
    org = OrganizationFactory(name="Closing Org")
    initiative = InitiativeFactory(organization=org, title="Orphaned work")
    event = make_event(organization=org, title="Orphaned event")
    before = initiative.updated_at
    decide(by=curator, target=org, action="archive")
    initiative.refresh_from_db()
    assert initiative.updated_at > before  # the change feed hears of it
    assert client.get(initiative.get_absolute_url()).status_code == 404
    assert client.get(event.get_absolute_url()).status_code == 404
    for url in ["/initiatives/", "/events/", "/api/v1/initiatives/", "/api/v1/events/", "/"]:
        assert "Orphaned" not in client.get(url).content.decode(), url
    items = client.get("/api/v1/changes/").json()["results"]
    tombstones = {i["id"] for i in items if "removed_at" in i}
    assert str(initiative.uuid) in tombstones


def test_a_published_event_does_not_name_its_pending_initiative(client):
    secret = InitiativeFactory(title="Secret pending initiative", status="pending")
    event = make_event(organization=secret.organization)
    Event.objects.filter(pk=event.pk).update(initiative=secret)
    assert client.get(event.get_absolute_url()).status_code == 404  # hidden with its initiative


def test_past_events_are_still_reachable_in_the_api(client):
    past = make_event(starts_at=timezone.now() - timedelta(days=40))
    assert client.get(f"/api/v1/events/{past.uuid}/").status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/events/?to=9999-12-31", "/events/?from=0001-01-01", "/events/feed.ics?to=9999-12-31",
     "/api/v1/events/?from=0001-01-01", "/initiatives/?updated_since=0001-01-01T00:00:00%2B01:00",
     "/api/v1/changes/?since=0001-01-01T00:00:00%2B01:00"],
)  # fmt: skip
def test_extreme_dates_are_a_clear_400_not_a_500(client, url):
    response = client.get(url)
    assert response.status_code in (200, 400)
    if not url.startswith("/events/feed"):
        assert response.status_code == 400


@pytest.mark.parametrize("url", ["/events/?view=month&month=9999-12", "/events/?view=month&month=1-1",
                                 "/initiatives/?q=!!!", "/api/v1/initiatives/?q=%22%22"])  # fmt: skip
def test_odd_input_never_errors(client, url):
    assert client.get(url).status_code == 200


def test_alert_queries_keep_only_known_filters(client):
    from directory.models import Alert

    client.post("/alerts/subscribe/", {
        "email": "x@example.org", "frequency": "daily", "kind": "initiatives",
        "query": "goal=compromise&\n\nURGENT verify at https://evil.example\n\n=1&state=CO",
    })  # fmt: skip
    alert = Alert.objects.get()
    assert alert.query == "goal=compromise&state=CO"
    assert "evil.example" not in mail.outbox[-1].body
    assert "goal=compromise&state=CO" in mail.outbox[-1].body  # not &amp; in a text e-mail


def test_restore_needs_a_listing_that_was_once_published(member):
    from directory.moderation import AlreadyDecided

    never = InitiativeFactory(status="archived", published_at=None)
    with pytest.raises(AlreadyDecided):
        decide(by=member, target=never, action="restore")


def test_revert_restores_content_not_publication(client, member):
    from directory.curate_views import curate_revert  # noqa: F401 (route under test)
    from directory.moderation import ensure_curators_group

    member.is_staff = True
    member.save()
    member.groups.add(ensure_curators_group())
    initiative = InitiativeFactory(title="Old content")
    first = initiative.history.first()
    initiative.title = "New content"
    initiative.save()
    decide(by=member, target=initiative, action="archive")
    client.post(f"/curate/history/initiatives/{initiative.slug}/revert/{first.history_id}/")
    initiative.refresh_from_db()
    assert (initiative.title, initiative.status) == ("Old content", "archived")


def test_a_decision_that_does_not_fit_the_item_is_refused_not_a_500(client, member):
    from directory.moderation import ensure_curators_group

    member.is_staff = True
    member.save()
    member.groups.add(ensure_curators_group())
    initiative = InitiativeFactory(status="pending", published_at=None)
    response = client.post(f"/curate/decide/initiative/{initiative.pk}/",
                           {"action": "resolve", "next": "https://evil.example/x"})  # fmt: skip
    assert response.status_code == 302 and "evil.example" not in response["Location"]
    assert not ModerationDecision.objects.exists()


def test_event_form_reads_times_in_the_venues_zone(client, member):
    org = OrganizationFactory()
    Membership.objects.create(user=member, organization=org, role="owner")
    response = client.post("/submit/event/", {
        "organization": org.slug, "title": "Denver forum", "summary": "s",
        "starts_at": "2027-03-05T19:00", "timezone": "America/New_York", "mode": "in_person",
        "postal_code": "80302", "scope": "local",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(title="Denver forum")
    assert event.timezone == "America/Denver"
    assert event.starts_at.astimezone(ZoneInfo("America/Denver")).hour == 19


def test_an_all_day_event_stays_upcoming_through_its_day():
    now = timezone.now()
    event = make_event(all_day=True, starts_at=now - timedelta(hours=5), ends_at=None)
    assert Event.objects.upcoming().filter(pk=event.pk).exists()
    assert not event.is_past


def test_behind_a_proxy_the_client_ip_is_the_trusted_hop(rf, settings):
    from mpdb.client_ip import client_ip

    settings.NUM_PROXIES = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "203.0.113.9"
