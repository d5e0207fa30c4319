"""An organization lists itself in the browser, and a curator publishes what it sent.

Sign-up with e-mail verification, sign-in, registering the organization (roles are picked inside
their folded groups), an initiative sent through its preview, the dashboard; then a curator
approves both from the queue, and the initiative is public on the list, in the API and the feed.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from directory.models import Initiative, Organization

from .helpers import PASSWORD, make_user, sign_in

pytestmark = pytest.mark.browser

EMAIL = "new@harbor.example"
ORG = "Harbor Dialogue Project"
INITIATIVE = "Kitchen-table conversations"


def sign_up_and_verify(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("main").get_by_role("link", name="sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Password \(again\):?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Verify"))

    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    assert mail.outbox[0].to == [EMAIL]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    # The person opens the link later, from their mail program: a browser with no session.
    page.context.clear_cookies()
    page.goto(link.group(1))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text("confirmed")


def register_organization(page: Page, role) -> None:
    page.goto("/dashboard/")
    page.get_by_role("link", name="List an organization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("List your organization")
    page.get_by_label("Organization name").fill(ORG)
    page.get_by_label("Short summary").fill(
        "Monthly conversations across the political divide in our harbor towns."
    )
    page.get_by_label("ZIP code").fill("80302")
    page.get_by_label("Scope").select_option(label="Local")
    # Roles wait folded in their groups: open the role's group, tick the role.
    picker = page.get_by_role("group", name=re.compile(r"^Roles"))
    checkbox = picker.get_by_role("checkbox", name=re.compile(rf"^{role.name}"))
    expect(checkbox).to_be_hidden()
    picker.get_by_text(f"{role.group.letter}. {role.group.name}").click()
    checkbox.check()
    page.get_by_role("checkbox", name="Cultivate Compromise").check()
    page.get_by_role("button", name="Send for review").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def submit_initiative_with_preview(page: Page) -> None:
    page.get_by_role("link", name="Add an initiative").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an initiative")
    page.get_by_label("Organization", exact=True).select_option(label=ORG)
    page.get_by_label("Title").fill(INITIATIVE)
    page.get_by_label("Short summary").fill(
        "Small groups of neighbors who vote differently meet at home."
    )
    page.get_by_label("Newcomers are welcome").check()
    page.get_by_label(re.compile(r"^How to get involved")).fill("Host a table or join one.")
    page.get_by_label("ZIP code").fill("80302")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your initiative")
    preview = page.get_by_label("Preview")
    expect(preview.get_by_role("heading", name=INITIATIVE)).to_be_visible()
    expect(preview).to_contain_text("Welcomes newcomers")
    expect(preview).to_contain_text("How to get involved: Host a table or join one.")
    assert not Initiative.objects.exists()  # nothing is saved by a preview
    page.get_by_role("button", name="Send for review").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_an_organization_signs_up_lists_itself_and_a_curator_publishes_it(
    page: Page, new_context, base_url, taxonomy
):
    sign_up_and_verify(page)
    sign_in(page, EMAIL)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))  # LOGIN_REDIRECT_URL
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()

    register_organization(page, taxonomy["role"]["facilitators"])
    submit_initiative_with_preview(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("My listings")
    org_card = page.locator("section.card", has=page.get_by_role("heading", name=re.compile(ORG)))
    expect(org_card.get_by_role("heading", level=2)).to_contain_text("Pending review")
    row = org_card.get_by_role("row", name=re.compile(INITIATIVE))
    expect(row).to_contain_text("Pending review")
    expect(page.get_by_text("Pending review", exact=True)).to_have_count(2)

    org = Organization.objects.get(name=ORG)
    initiative = Initiative.objects.get(title=INITIATIVE)
    assert (org.status, initiative.status) == ("pending", "pending")
    assert list(org.roles.values_list("slug", flat=True)) == ["facilitators"]
    assert initiative.organization == org and initiative.welcomes_newcomers

    # The public sees neither yet.
    assert page.request.get(f"/initiatives/{initiative.slug}/").status == 404

    # A curator, in another browser, approves both in one click each.
    make_user("curator@example.org", curator=True)
    curator = new_context().new_page()
    sign_in(curator, "curator@example.org")
    curator.get_by_role("link", name="Curate").click()
    curator.get_by_role("link", name=re.compile("queue", re.I)).first.click()
    expect(curator).to_have_url(re.compile(r"/curate/queue/$"))
    for title in (INITIATIVE, ORG):
        item = curator.locator("article.queue-item", has=curator.get_by_role("heading", name=title))
        item.get_by_role("button", name="Approve", exact=True).click()
        expect(curator).to_have_url(re.compile(r"/curate/queue/"))
        expect(curator.get_by_role("heading", name=title, exact=True)).to_have_count(0)
    expect(curator.get_by_text("Nothing is waiting.")).to_be_visible()

    org.refresh_from_db()
    initiative.refresh_from_db()
    assert (org.status, initiative.status) == ("published", "published")

    # Public: the list, the detail page, the API and the Atom feed.
    page.goto("/initiatives/")
    expect(page.get_by_role("link", name=INITIATIVE)).to_be_visible()
    page.get_by_role("link", name=INITIATIVE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(INITIATIVE)

    api = page.request.get("/api/v1/initiatives/")
    assert api.ok, api.status
    found = [item for item in api.json()["results"] if item["title"] == INITIATIVE]
    assert found and found[0]["slug"] == initiative.slug, api.json()

    feed = page.request.get("/feeds/initiatives.atom")
    assert feed.ok and "atom" in feed.headers["content-type"]
    assert f"<title>{INITIATIVE}</title>" in feed.text()
    assert f"/initiatives/{initiative.slug}/" in feed.text()
