"""axe-core finds no serious or critical accessibility problem on any kind of page: public pages,
a member's and a curator's."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .helpers import SOON, SPANISH_PAGES, log_in

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
AXE = Axe()


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
    "role finder": ("/get-involved/", 200),
    "role finder with answers": ("/get-involved/?skill=law&goal=compromise&near=80302", 200),
    "coverage": ("/coverage/", 200),
    "networks": ("/networks/", 200),
    "event list": ("/events/", 200),
    "event month": (f"/events/?view=month&month={SOON:%Y-%m}", 200),
    "event": ("/events/town-forum/", 200),
    "report a problem": ("/report/initiatives/circles/", 200),
    "sign in": ("/accounts/login/", 200),
    "sign up": ("/accounts/signup/", 200),
    **SPANISH_PAGES,
}

# name: (URL, who is signed in)
SIGNED_IN_PAGES = {
    "register an organization": ("/submit/organization/", "member"),
    "add an initiative": ("/submit/initiative/", "member"),
    "register an organization in Spanish": ("/submit/organization/?lang=es", "member"),
    "dashboard": ("/dashboard/", "member"),
    "curators": ("/curate/", "curator"),
    "curators' queue": ("/curate/queue/", "curator"),
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


@pytest.mark.parametrize(("url", "who"), SIGNED_IN_PAGES.values(), ids=SIGNED_IN_PAGES.keys())
def test_no_serious_accessibility_violations_when_signed_in(
    page: Page, base_url, listings, url, who
):
    log_in(page.context, base_url, listings[who])
    assert page.goto(url).status == 200
    signed_in = "Cerrar sesión" if "lang=es" in url else "Sign out"
    expect(page.get_by_role("link", name=signed_in)).to_be_visible()
    if url == "/curate/queue/":
        expect(page.locator("article.queue-item")).to_have_count(3)
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
