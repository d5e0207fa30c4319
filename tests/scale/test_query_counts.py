"""Every URL of the benchmark mix (docs/benchmarks.md) runs a fixed number of SQL queries.

Each URL is asked with an empty cache twice: over a few listings, then over three times as many.
The number of queries must not change: no N+1 anywhere in the mix, on SQLite and PostgreSQL.
Then, asked again, the cached answer must cost no more queries than the uncached one.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals.models import Goal
from roles.models import Role
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

MIX = [
    "/",
    "/initiatives/",
    "/initiatives/?goal=reconciliation&state=CO",
    "/initiatives/?group=grassroots-citizens&scope=local",
    "/initiatives/?q=community",
    "/initiatives/?q=marimba",
    "/initiatives/?near=80302&radius=25",
    "/initiatives/?near=80302&radius=100",
    "/initiatives/?page=2&page_size=2",
    "{detail}",
    "/api/v1/initiatives/?goal=reconciliation&state=CO&newcomers=true",
    "{api_detail}",
    "/api/v1/changes/?limit=100",
    "/api/v1/initiatives/?format=csv&goal=reconciliation&state=CO",
    "/coverage/",
]


def add_listings(n: int) -> None:
    roles = list(Role.objects.filter(group__slug="grassroots-citizens")[:2])
    goal = Goal.objects.get(slug="reconciliation")
    for i in range(n):
        org = OrganizationFactory(postal_code="80302", roles=roles[:1], goals=[goal])
        InitiativeFactory(
            organization=org,
            title=f"Community circle {i}",
            summary="A community project.",
            postal_code="80302",
            roles=roles,
            goals=[goal],
            languages=["en", "es"],
            welcomes_newcomers=True,
            published_at=timezone.now(),
        )


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.content[:300])
    return len(captured.captured_queries)


@pytest.mark.parametrize("template", MIX)
def test_queries_do_not_grow_with_the_data(client, template):
    add_listings(2)
    first = InitiativeFactory(postal_code="80302")
    url = template.format(
        detail=first.get_absolute_url(), api_detail=f"/api/v1/initiatives/{first.uuid}/"
    )
    cache.clear()
    few = queries(client, url)
    add_listings(5)
    cache.clear()
    many = queries(client, url)
    assert few == many, (url, few, many)
    assert queries(client, url) <= many  # cached: never more
