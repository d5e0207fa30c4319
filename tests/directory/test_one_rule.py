"""Each rule is written once and used everywhere: what is public, what is stale, when an event is
over, which model a URL's ``kind`` names. Changing the one rule changes every page that uses it."""

import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from directory import querysets
from directory.models import (
    LISTING_KINDS,
    LISTING_TYPES,
    Event,
    Initiative,
    Membership,
    listing_kind,
)
from directory.models import events as event_models
from directory.services.curators import ensure_curators_group
from directory.templatetags.directory_tags import listing_kind_singular
from tests.accounts.test_journey import make_user
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def member(client):
    user = make_user()
    client.force_login(user)
    return user


@pytest.fixture
def curator_client(client):
    curator = make_user("curator@example.org")
    curator.groups.add(ensure_curators_group())
    client.force_login(curator)
    return client


@pytest.fixture
def verified_two_months_ago():
    org = OrganizationFactory(name="Checked In Spring")
    org.last_verified_at = timezone.now() - timedelta(days=60)
    org.save()
    return org


def test_every_stale_list_follows_stale_after(
    monkeypatch, verified_two_months_ago, member, client, mailoutbox
):
    """With verifications lasting 30 days, a listing verified 60 days ago is stale for the
    member's dashboard, the curators' count, the digest and the stale-listing run alike."""
    org = verified_two_months_ago
    Membership.objects.create(user=member, organization=org, role=Membership.Role.OWNER)
    assert not org.is_stale
    assert org not in type(org).objects.stale()

    monkeypatch.setattr(querysets, "STALE_AFTER", timedelta(days=30))
    assert org.is_stale
    assert list(type(org).objects.published().stale()) == [org]
    dashboard = client.get("/dashboard/").context
    assert dashboard["attention"] == [org]

    call_command("process_stale_listings", stdout=StringIO())
    org.refresh_from_db()
    assert org.stale_notice_sent_at is not None  # its owner was asked


def test_the_curators_dashboard_counts_stale_listings_by_the_same_rule(
    monkeypatch, verified_two_months_ago, curator_client
):
    assert curator_client.get("/curate/").context["counts"]["stale"] == 0
    monkeypatch.setattr(querysets, "STALE_AFTER", timedelta(days=30))
    assert curator_client.get("/curate/").context["counts"]["stale"] == 1


@pytest.mark.parametrize("all_day", [False, True])
def test_an_event_is_past_exactly_when_it_is_no_longer_upcoming(monkeypatch, all_day):
    """``Event.is_past`` and ``Event.objects.upcoming()`` share ``over_at``: lengthen the assumed
    length of an event without an end and both move together."""
    monkeypatch.setattr(event_models, "UNTIMED_LENGTH", timedelta(hours=5))
    monkeypatch.setattr(event_models, "ALL_DAY_LENGTH", timedelta(days=2))
    org = OrganizationFactory()
    for hours_ago in (1, 3, 6, 30, 60):
        event = Event.objects.create(
            organization=org,
            slug=f"ev-{hours_ago}-{all_day}",
            title="Forum",
            summary="A forum.",
            starts_at=timezone.now() - timedelta(hours=hours_ago),
            all_day=all_day,
            mode="online",
            join_url="https://example.org/join",
            status="published",
        )
        upcoming = Event.objects.upcoming().filter(pk=event.pk).exists()
        assert event.is_past is not upcoming, hours_ago


def test_goal_and_role_counts_leave_out_initiatives_of_unpublished_organizations(client):
    from goals.models import Goal
    from roles.models import Role

    goal, role = Goal.objects.first(), Role.objects.first()
    hidden = OrganizationFactory(status="archived")
    InitiativeFactory(organization=hidden, goals=[goal], roles=[role])
    InitiativeFactory(goals=[goal], roles=[role])
    assert Initiative.objects.filter(goals=goal).published().count() == 1
    goals = {g.pk: g.initiative_count for g in client.get("/goals/").context["goals"]}
    assert goals[goal.pk] == 1
    roles = {
        r.pk: r.initiative_count
        for group in client.get("/roles/").context["groups"]
        for r in group.roles.all()
    }
    assert roles[role.pk] == 1


def test_the_public_rule_is_not_copied_as_a_string():
    """``"published"`` appears in application code only where ``Status`` defines it."""
    copies = []
    for folder in ("directory", "goals", "roles"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative.startswith(
                ("directory/hsds/", "directory/webhooks/")
            ):
                continue  # migrations are history; hsds and webhooks have their own owners
            for line in path.read_text().splitlines():
                if re.search(r"""["']published["']""", line):
                    copies.append(f"{relative}: {line.strip()}")
    assert copies == ['directory/models/listings.py: PUBLISHED = "published", _("Published")']


def test_one_registry_names_each_kind_in_both_spellings():
    from directory.api.changes import TYPES
    from directory.models.sources import OWNERS
    from directory.views.curate import KINDS

    expected = {
        "organization": LISTING_KINDS["organizations"],
        "initiative": LISTING_KINDS["initiatives"],
        "event": LISTING_KINDS["events"],
    }
    assert expected == LISTING_TYPES
    assert TYPES is LISTING_TYPES and OWNERS is LISTING_TYPES  # the feed's types, sources' owners
    assert LISTING_TYPES.items() <= KINDS.items()  # what /curate/decide/<kind>/ decides
    for kind, model in LISTING_KINDS.items():
        assert listing_kind(model) == kind
        assert LISTING_TYPES[listing_kind_singular(model)] is model


def test_curators_edit_an_events_sources_and_history_by_its_kind(curator_client):
    event = Event.objects.create(
        organization=OrganizationFactory(),
        slug="town-forum",
        title="Town forum",
        summary="A forum.",
        starts_at=timezone.now() + timedelta(days=2),
        mode="online",
        join_url="https://example.org/join",
        status="published",
    )
    assert curator_client.get(f"/curate/sources/events/{event.slug}/").status_code == 200
    assert curator_client.get(f"/curate/history/events/{event.slug}/").status_code == 200
    assert curator_client.get(f"/curate/sources/event/{event.slug}/").status_code == 404
