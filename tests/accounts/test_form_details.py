"""Small things a new member meets in the forms (issue 17, item 20)."""

import pytest
from django.test import override_settings

from directory.models import ClaimRequest, Initiative, Membership
from tests.accounts.test_journey import ORG_FORM, initiative_form
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_the_report_form_says_optional_once(client):
    org = OrganizationFactory()
    page = client.get(f"/report/organizations/{org.slug}/").content.decode()
    label = page[page.index('<label for="id_email">') :].split("</label>")[0]
    assert label.count("optional") == 1


def test_the_claim_form_preselects_nothing_and_offers_two_ways(client, member):
    org = OrganizationFactory(website="https://civicbridge.example")
    page = client.get(f"/organizations/{org.slug}/claim/").content.decode()
    assert "---------" not in page
    assert 'value="domain_email"' in page and 'value="message"' in page
    assert "checked" not in page.split('name="evidence"', 1)[1].split("</fieldset>")[0]


def test_without_a_website_the_claim_form_offers_only_a_message(client, member):
    org = OrganizationFactory(website="")
    page = client.get(f"/organizations/{org.slug}/claim/").content.decode()
    assert 'value="domain_email"' not in page and "Work email" not in page
    assert 'value="message"' in page
    forged = client.post(
        f"/organizations/{org.slug}/claim/",
        {"evidence": "domain_email", "work_email": "me@example.org", "message": ""},
    )
    assert forged.status_code == 400 and not ClaimRequest.objects.exists()
    ok = client.post(
        f"/organizations/{org.slug}/claim/", {"evidence": "message", "message": "I run it."}
    )
    assert ok.status_code == 302 and ClaimRequest.objects.get().evidence == "message"


def test_a_submission_writes_one_history_row_with_its_roles_and_goals(client, member):
    client.post("/submit/organization/", ORG_FORM)
    org = member.memberships.get().organization
    (row,) = org.history.all()
    assert row.history_change_reason == "Registered by member@example.org"
    assert {r.role.slug for r in row.roles.all()} == {"bridge-builders", "facilitators"}
    client.post("/submit/initiative/", {**initiative_form(org.slug), "send": "1"})
    initiative = Initiative.objects.get()
    (row,) = initiative.history.all()
    assert row.history_change_reason == "Submitted by member@example.org"
    assert [g.goal.slug for g in row.goals.all()] == ["compromise"]


@override_settings(WRITE_RATE="1/h")
def test_the_rate_limit_page_offers_my_listings_only_to_members(client, member):
    org = OrganizationFactory()
    Membership.objects.create(user=member, organization=org, role="owner")
    report = {"kind": "outdated", "message": "Moved."}
    client.post(f"/report/organizations/{org.slug}/", report)
    page = client.post(f"/report/organizations/{org.slug}/", report)
    assert page.status_code == 429 and "Go to my listings" in page.content.decode()
    client.logout()
    page = client.post(f"/report/organizations/{org.slug}/", report)
    assert page.status_code == 429
    assert "Go to my listings" not in page.content.decode()
    assert "Go to the home page" in page.content.decode()


def test_csv_imports_and_partner_submissions_write_one_history_row_too():
    from directory.services.imports import import_listings
    from directory.services.listings import initiative_submit
    from roles.models import Role

    result = import_listings(
        kind="organizations",
        status="pending",
        by="curator@example.org",
        text="name,summary,postal_code,roles,goals\n"
        "Front Range Dialogue,Talks.,80302,bridge-builders;facilitators,compromise\n",
    )
    (row,) = result.created[0].history.all()
    assert row.history_change_reason == "Imported by curator@example.org"
    assert row.roles.count() == 2

    initiative = initiative_submit(
        by="Test partner",
        organization={"instance": OrganizationFactory()},
        data={
            "title": "Dialogue nights",
            "summary": "Talks.",
            "scope": "national",
            "roles": list(Role.objects.filter(slug="mediators")),
        },
    )
    (row,) = initiative.history.all()
    assert [r.role.slug for r in row.roles.all()] == ["mediators"]
