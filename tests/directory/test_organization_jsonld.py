"""Organizations' schema.org JSON-LD: founding date, address, other profiles and networks."""

import datetime

import pytest
from django.db import connection

from directory.models import SourceRecord
from directory.search.taxonomy import taxonomy
from tests.directory.test_detail_pages import jsonld_blocks
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def source(org, url, supports=("name",), publisher="", days_ago=0):
    return SourceRecord.objects.create(
        organization=org,
        url=url,
        publisher=publisher,
        supports=list(supports),
        seen_on=datetime.date(2026, 12, 5) - datetime.timedelta(days=days_ago),
    )


def organization_jsonld(client, org) -> dict:
    response = client.get(org.get_absolute_url())
    assert response.status_code == 200
    return jsonld_blocks(response.content.decode())[0]


def test_an_organization_carries_founding_date_address_profiles_and_networks(
    client, django_assert_num_queries
):
    network = OrganizationFactory(name="Bridge Network", is_network=True)
    pending_network = OrganizationFactory(name="Pending Network", is_network=True, status="pending")
    org = OrganizationFactory(
        name="Front Range Dialogue",
        founded_year=2004,
        postal_code="80302",
        website="https://frontrange.example.org/",
    )
    org.networks.add(network, pending_network)
    source(org, "https://en.wikipedia.org/wiki/Front_Range_Dialogue", publisher="Wikipedia")
    source(org, "https://www.guidestar.org/profile/12-3456789", days_ago=3)
    source(org, "https://frontrange.example.org/about", supports=["name", "place"])  # its own site
    source(org, "https://news.example.com/story", supports=["name"])  # news, not a profile
    source(org, "https://www.linkedin.com/company/other", supports=["programs"])  # not its name

    taxonomy()  # read once per process and taxonomy version, not per page
    # As the page's (PostgreSQL: its terms with its row): one query reads the sources for both.
    with django_assert_num_queries(7 - (connection.vendor == "postgresql")):
        data = organization_jsonld(client, org)

    assert data["@type"] == "Organization"
    assert data["foundingDate"] == "2004"
    assert data["address"] == {
        "@type": "PostalAddress",
        "addressCountry": "US",
        "addressLocality": "Boulder",
        "addressRegion": "CO",
        "postalCode": "80302",
    }
    assert data["sameAs"] == [
        "https://frontrange.example.org/",
        "https://en.wikipedia.org/wiki/Front_Range_Dialogue",
        "https://www.guidestar.org/profile/12-3456789",
    ]
    assert data["memberOf"] == [
        {
            "@type": "Organization",
            "name": "Bridge Network",
            "url": f"http://testserver{network.get_absolute_url()}",
        },
    ]


def test_what_is_not_known_is_left_out(client):
    org = OrganizationFactory(name="Online Only", scope="online")
    data = organization_jsonld(client, org)
    for absent in ("foundingDate", "address", "sameAs", "memberOf"):
        assert absent not in data
    assert data["areaServed"] == "United States"


def test_a_profile_link_that_is_not_http_is_left_out(client):
    org = OrganizationFactory(website="javascript:alert(1)")
    SourceRecord.objects.create(
        organization=org,
        url="https://en.wikipedia.org/wiki/X",
        supports=["name"],
        seen_on=datetime.date(2026, 12, 5),
    )
    assert organization_jsonld(client, org)["sameAs"] == ["https://en.wikipedia.org/wiki/X"]
