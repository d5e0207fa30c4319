"""axe-core finds no serious or critical accessibility problem on any kind of public page."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
AXE = Axe()


@pytest.fixture
def listings(taxonomy):
    """A small directory that shows every kind of badge, link and list a page can have."""
    goal, role = taxonomy["goal"], taxonomy["role"]
    network = OrganizationFactory(
        name="Bridge Alliance", slug="bridge-alliance", is_network=True, scope="national",
        source="paper", website="https://example.org", email="hello@example.org",
        description="A coalition of bridge-building groups.", last_verified_at=timezone.now(),
        goals=[goal["compromise"]], roles=[role["convenors"]],
    )  # fmt: skip
    local = OrganizationFactory(
        name="Boulder Civic Commons (example)", slug="boulder-civic-commons", postal_code="80302",
        is_demo=True, goals=[goal["reconciliation"]], roles=[role["facilitators"]],
    )  # fmt: skip
    local.networks.add(network)
    InitiativeFactory(
        title="Neighborhood conversation circles", slug="circles", organization=local,
        postal_code="80302", welcomes_newcomers=True, is_demo=True,
        get_involved="Come to a monthly circle.", get_involved_url="https://example.org/join",
        website="https://example.org/circles", description="Small, facilitated conversations.",
        last_verified_at=timezone.now(),
        goals=[goal["compromise"], goal["reconciliation"]],
        roles=[role["facilitators"], role["bridge-builders"]],
    )  # fmt: skip
    InitiativeFactory(
        title="National listening tour", slug="tour", organization=network, scope="national",
        source="paper", goals=[goal["compromise"]], roles=[role["convenors"]],
    )  # fmt: skip
    InitiativeFactory(
        title="Chicago mediation clinic", slug="clinic", postal_code="60601",
        goals=[goal["compromise"]], roles=[role["mediators"]],
    )  # fmt: skip


# name: (URL, the status it answers with)
PAGES = {
    "home": ("/", 200),
    "initiative list": ("/initiatives/?near=80302&include_national=true", 200),
    "initiative list with an error": ("/initiatives/?near=abc", 400),
    "initiative map": ("/initiatives/?view=map", 200),
    "initiative": ("/initiatives/circles/", 200),
    "organization list": ("/organizations/", 200),
    "organization": ("/organizations/bridge-alliance/", 200),
    "role list": ("/roles/", 200),
    "role": ("/roles/facilitators/", 200),
    "goal list": ("/goals/", 200),
    "goal": ("/goals/compromise/", 200),
    "about": ("/about/", 200),
    "page not found": ("/no-such-page/", 404),
    "embed": ("/embed/initiatives/?near=80302", 200),
}


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['failureSummary']}")
    return "\n".join(lines)


@pytest.mark.parametrize(("url", "status"), PAGES.values(), ids=PAGES.keys())
def test_no_serious_accessibility_violations(page: Page, listings, url, status):
    assert page.goto(url).status == status
    if "view=map" in url:
        expect(page.locator(".leaflet-marker-icon")).to_have_count(2)
    # Check what is folded away too (more filters, the embed code).
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")

    blocking = serious_violations(page)
    assert not blocking, f"{url}\n{describe(blocking)}"


def serious_violations(page: Page) -> list[dict]:
    results = AXE.run(page).response
    assert len(results["passes"]) >= 5, "axe-core did not run its checks"
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def test_the_checker_does_report_what_it_should(page: Page, transactional_db):
    """The harness itself: a page with known problems fails."""
    page.set_content(
        '<html><body><main><input type="text">'
        '<p style="color:#aaa;background:#fff">faint text</p></main></body></html>'
    )
    found = {v["id"] for v in serious_violations(page)}
    assert {"label", "color-contrast"} <= found
