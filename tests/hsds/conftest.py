"""What the HSDS tests share: one published organization with everything an HSDS document carries."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from directory.models import Event, Language, SourceRecord
from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory


@pytest.fixture
def valley():
    """Valley Mediation Center with a placed, classified initiative in Spanish (its event and a
    source) and an online one; the organization's own source. Returns (org, initiative, online)."""
    goal, role = Goal.objects.get(number=3), Role.objects.get(number=20)
    org = OrganizationFactory(
        name="Valley Mediation Center",
        slug="valley-mediation",
        postal_code="80302",
        website="https://valley.example.org/",
        email="hello@valley.example.org",
        founded_year=1994,
        description="Longer text.\n\nWith paragraphs.",
        roles=[role],
        goals=[goal],
        last_verified_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    )
    initiative = InitiativeFactory(
        organization=org,
        title="Neighbor mediation",
        slug="neighbor-mediation",
        postal_code="80302",
        website="https://valley.example.org/mediation",
        get_involved="Come to a training.",
        roles=[role],
        goals=[goal],
        languages=[Language.objects.get(code="es")],
    )
    online = InitiativeFactory(organization=org, title="Online dialogues", scope="national")
    SourceRecord.objects.create(
        organization=org,
        url="https://valley.example.org/about",
        title="About us",
        publisher="Valley Mediation Center",
        seen_on=date(2026, 12, 1),
        supports=["name", "website", "place", "founding_year"],
    )
    SourceRecord.objects.create(
        initiative=initiative,
        url="https://news.example.org/story",
        publisher="Daily News",
        seen_on=date(2026, 11, 30),
        supports=["programs"],
    )
    # Whole minutes: an event read back from HSDS (hours and minutes) is the same event.
    starts = (timezone.now() + timedelta(days=10)).replace(second=0, microsecond=0)
    Event.objects.create(
        organization=org,
        initiative=initiative,
        title="Mediation training",
        slug="mediation-training",
        summary="Learn to mediate.",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        postal_code="80302",
        status="published",
    )
    return org, initiative, online
