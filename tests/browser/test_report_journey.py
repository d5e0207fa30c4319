"""Someone reports a problem with a listing; a curator reads it in the queue and resolves it."""

import re

import pytest
from playwright.sync_api import Page, expect

from directory.models import Report
from tests.factories import InitiativeFactory

from .helpers import make_user, sign_in

pytestmark = pytest.mark.browser

MESSAGE = "The circles moved to the east branch library in March."
WHAT_WAS_DONE = "Asked the organization; the address is updated."


def test_a_reader_reports_a_problem_and_a_curator_resolves_it(page: Page, new_context, taxonomy):
    initiative = InitiativeFactory(
        title="Neighborhood conversation circles", slug="circles", postal_code="80302"
    )

    # A reader, not signed in.
    page.goto("/initiatives/circles/")
    page.get_by_role("link", name="Report a problem with this listing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Report a problem with “Neighborhood conversation circles”"
    )
    page.get_by_role("radio", name="Outdated").check()
    page.get_by_label(re.compile(r"^Message")).fill(MESSAGE)
    page.get_by_role("button", name="Send the report").click()
    expect(page).to_have_url(re.compile(r"/initiatives/circles/$"))
    expect(page.get_by_role("status")).to_contain_text("A curator will look at your report")
    report = Report.objects.get()
    assert (report.initiative, report.kind, report.state) == (initiative, "outdated", "open")

    # A curator finds it in the queue and says what was done.
    make_user("curator@example.org", curator=True)
    curator = new_context().new_page()
    sign_in(curator, "curator@example.org")
    curator.goto("/curate/queue/")
    item = curator.locator("article.queue-item", has_text=MESSAGE)
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Outdated")
    expect(item.get_by_role("link", name="Neighborhood conversation circles")).to_have_attribute(
        "href", "/initiatives/circles/"
    )
    item.get_by_label("What was done").fill(WHAT_WAS_DONE)
    item.get_by_role("button", name="Resolved").click()
    expect(curator).to_have_url(re.compile(r"/curate/queue/"))
    expect(curator.locator("article.queue-item", has_text=MESSAGE)).to_have_count(0)

    report.refresh_from_db()
    assert (report.state, report.resolution) == ("resolved", WHAT_WAS_DONE)
    assert report.resolved_by.email == "curator@example.org"
