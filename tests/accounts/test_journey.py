"""An organization gets itself listed without e-mailing anyone, and keeps its listing current."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings

from directory.models import (
    ChangeRequest,
    ClaimRequest,
    Initiative,
    Invitation,
    Membership,
    Organization,
)
from directory.services.edit_forms import proposed_edit
from directory.services.moderation import decide
from tests.factories import InitiativeFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-unusual-passphrase-42"


def make_user(email="member@example.org"):
    """An account signed up with ``email`` (its user name too) and confirmed."""
    return UserFactory(username=email, email=email, password=PASSWORD, verified=True)


@pytest.fixture
def member(client):
    user = make_user()
    client.force_login(user)
    return user


ORG_FORM = {
    "name": "Harbor Dialogue Project",
    "summary": "Monthly conversations across the political divide in our harbor towns.",
    "description": "",
    "website": "https://harbordialogue.example",
    "email": "",
    "postal_code": "80302",
    "scope": "local",
    "roles": ["bridge-builders", "facilitators"],
    "goals": ["compromise"],
}


def initiative_form(org_slug, **extra):
    return {
        "organization": org_slug,
        "title": "Kitchen-table conversations",
        "summary": "Small groups of neighbors who vote differently meet at home.",
        "description": "",
        "website": "",
        "welcomes_newcomers": "on",
        "get_involved": "Host a table or join one.",
        "get_involved_url": "",
        "starts_on": "",
        "ends_on": "",
        "postal_code": "80302",
        "scope": "local",
        "roles": ["bridge-builders"],
        "goals": ["compromise"],
        **extra,
    }


def test_the_whole_journey_from_sign_up_to_a_pending_initiative(client):
    # Sign up: allauth sends a verification link; without it, logging in is refused.
    response = client.post(
        "/accounts/signup/",
        {"email": "new@harbor.example", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://testserver(/accounts/confirm-email/[^\s]+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    assert client.get("/dashboard/").status_code == 302  # not logged in before verifying

    assert client.post(link.group(1)).status_code == 302  # the confirmation page's button
    assert EmailAddress.objects.get(email="new@harbor.example").verified
    login = client.post("/accounts/login/", {"login": "new@harbor.example", "password": PASSWORD})
    assert login.status_code == 302

    # Register the organization: pending, and the registrant owns it.
    response = client.post("/submit/organization/", ORG_FORM)
    assert response.status_code == 302, response.content.decode()[:3000]
    org = Organization.objects.get(name="Harbor Dialogue Project")
    assert (org.status, org.source, org.city) == ("pending", "self", "Boulder")
    assert Membership.objects.get(organization=org).role == "owner"
    assert set(org.roles.values_list("slug", flat=True)) == {"bridge-builders", "facilitators"}

    # Submit an initiative: a preview first, then "send".
    data = initiative_form(org.slug)
    preview = client.post("/submit/initiative/", {**data, "preview": "1"})
    assert preview.status_code == 200
    assert "Check your initiative" in preview.content.decode()
    assert not Initiative.objects.exists()
    sent = client.post("/submit/initiative/", {**data, "send": "1"})
    assert sent.status_code == 302
    initiative = Initiative.objects.get(title="Kitchen-table conversations")
    assert (initiative.status, initiative.organization, initiative.welcomes_newcomers) == (
        "pending",
        org,
        True,
    )

    # The dashboard shows both as pending; the public sees neither.
    dashboard = client.get("/dashboard/").content.decode()
    assert "Harbor Dialogue Project" in dashboard and "Kitchen-table conversations" in dashboard
    assert dashboard.count("Pending review") == 2
    assert client.get(f"/initiatives/{initiative.slug}/").status_code == 404
    assert "Kitchen-table" not in client.get("/initiatives/").content.decode()


def test_a_form_with_errors_keeps_everything_typed_and_says_what_to_fix(client, member):
    bad = {**ORG_FORM, "postal_code": "00000", "summary": "x" * 300}
    response = client.post("/submit/organization/", bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Harbor Dialogue Project"' in html
    assert 'value="https://harbordialogue.example"' in html
    assert 'value="bridge-builders" checked' in html or 'bridge-builders" id' in html
    assert "not a known 5-digit U.S. ZIP code" in html
    assert 'aria-invalid="true"' in html
    assert 'href="#id_postal_code"' in html  # the summary links to the field
    assert not Organization.objects.exists()


def test_local_work_needs_a_zip_code(client, member):
    response = client.post("/submit/organization/", {**ORG_FORM, "postal_code": ""})
    assert response.status_code == 400
    assert "needs a ZIP code" in response.content.decode()


def test_the_honeypot_stops_bots(client, member):
    response = client.post("/submit/organization/", {**ORG_FORM, "homepage": "http://spam"})
    assert response.status_code == 400
    assert not Organization.objects.exists()


def test_submitters_cannot_set_status_or_source(client, member):
    client.post("/submit/organization/", {**ORG_FORM, "status": "published", "source": "paper"})
    org = Organization.objects.get()
    assert (org.status, org.source) == ("pending", "self")


@override_settings(MAX_PENDING_PER_ACCOUNT=2)
def test_an_account_may_have_only_so_many_pending_items(client, member):
    for i in range(2):
        assert (
            client.post("/submit/organization/", {**ORG_FORM, "name": f"Org {i}"}).status_code
            == 302
        )
    third = client.post("/submit/organization/", {**ORG_FORM, "name": "Org 3"})
    assert third.status_code == 400
    assert "waiting for review" in third.content.decode()
    assert Organization.objects.count() == 2


@override_settings(WRITE_RATE="3/h")
def test_public_writes_are_rate_limited(client, member):
    codes = [
        client.post("/submit/organization/", {**ORG_FORM, "name": f"Org {i}"}).status_code
        for i in range(4)
    ]
    assert codes == [302, 302, 302, 429]


def test_editing_a_published_listing_waits_for_a_curator(client, member):
    org = OrganizationFactory(
        name="Old Name", summary="Old summary.", postal_code="80302", owner=member
    )
    response = client.post(
        f"/dashboard/organizations/{org.slug}/edit/",
        {**ORG_FORM, "name": "New Name", "summary": "New summary."},
    )
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    org.refresh_from_db()
    assert (org.name, org.summary) == ("Old Name", "Old summary.")  # public version unchanged
    assert "Old Name" in client.get(org.get_absolute_url()).content.decode()

    page = client.get(f"/dashboard/changes/{change.pk}/").content.decode()
    assert "<del>Old Name</del>" in page and "<ins>New Name</ins>" in page
    assert "Waiting for a curator" in page

    curator = make_user("curator@example.org")
    decide(by=curator, target=change, action="approve", edit=proposed_edit(change))
    org.refresh_from_db()
    assert (org.name, org.summary) == ("New Name", "New summary.")
    assert set(org.roles.values_list("slug", flat=True)) == {"bridge-builders", "facilitators"}
    assert "approved by" in org.history.first().history_change_reason


def test_a_second_members_edit_waits_until_the_first_is_decided(client, member):
    org = OrganizationFactory(name="Old Name", postal_code="80302")
    other = make_user("other@example.org")
    for user in (member, other):
        Membership.objects.create(user=user, organization=org, role="owner")
    url = f"/dashboard/organizations/{org.slug}/edit/"
    client.post(url, {**ORG_FORM, "name": "First Edit"})
    first = ChangeRequest.objects.get()
    # The same member may replace their own waiting edit…
    client.post(url, {**ORG_FORM, "name": "First Edit, revised"})
    first.refresh_from_db()
    assert first.status == "withdrawn"
    mine = ChangeRequest.objects.get(status="pending")
    # …but another member cannot overwrite it: a clear refusal, and the form keeps the text.
    client.force_login(other)
    response = client.post(url, {**ORG_FORM, "name": "Second Edit"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Another member’s edit to this listing" in page.replace("&#x27;", "’").replace("'", "’")
    assert "member@example.org" not in page  # members do not see each other's addresses
    assert 'value="Second Edit"' in page
    assert list(ChangeRequest.objects.filter(status="pending")) == [mine]
    # Once the first is decided, the second member can send theirs.
    curator = make_user("curator@example.org")
    decide(by=curator, target=mine, action="approve", edit=proposed_edit(mine))
    assert client.post(url, {**ORG_FORM, "name": "Second Edit"}).status_code == 302
    assert ChangeRequest.objects.get(status="pending").submitted_by == other


def test_editing_a_pending_listing_applies_at_once(client, member):
    org = OrganizationFactory(status="pending", published_at=None, owner=member)
    client.post(f"/dashboard/organizations/{org.slug}/edit/", {**ORG_FORM, "name": "Renamed"})
    org.refresh_from_db()
    assert (org.name, org.status) == ("Renamed", "pending")
    assert not ChangeRequest.objects.exists()


def initiative_edit(initiative, **extra):
    """The edit form of ``initiative`` with a new title (and no organization field)."""
    return {
        "title": "Edited title",
        "summary": initiative.summary,
        "postal_code": "80302",
        "scope": "local",
        "roles": ["mediators"],
        **extra,
    }


def test_an_initiative_edit_applies_at_once_while_pending_and_on_approval_once_public(
    client, member
):
    org = OrganizationFactory(owner=member)
    pending = InitiativeFactory(organization=org, status="pending", published_at=None)
    response = client.post(f"/dashboard/initiatives/{pending.slug}/edit/", initiative_edit(pending))
    assert response.status_code == 302, response.content.decode()[:3000]
    pending.refresh_from_db()
    assert pending.title == "Edited title"

    public = InitiativeFactory(organization=org, title="Public title")
    response = client.post(f"/dashboard/initiatives/{public.slug}/edit/", initiative_edit(public))
    assert response.status_code == 302
    change = ChangeRequest.objects.get(initiative=public)
    decide(by=None, target=change, action="approve", edit=proposed_edit(change))
    public.refresh_from_db()
    assert (public.title, public.organization) == ("Edited title", org)


def test_editing_an_organization_keeps_its_networks(client, member):
    network = OrganizationFactory(is_network=True, slug="a-network")
    org = OrganizationFactory(status="pending", published_at=None, owner=member)
    org.networks.add(network)
    page = client.get(f"/dashboard/organizations/{org.slug}/edit/").content.decode()
    box = page[page.index('value="a-network"') - 120 : page.index('value="a-network"') + 70]
    assert "checked" in box
    client.post(
        f"/dashboard/organizations/{org.slug}/edit/",
        {
            "name": "Renamed",
            "summary": "s",
            "postal_code": "80302",
            "scope": "local",
            "networks": ["a-network"],
        },
    )
    org.refresh_from_db()
    assert org.name == "Renamed" and list(org.networks.all()) == [network]


def test_a_rejected_listing_can_be_revised_and_resubmitted(client, member):
    org = OrganizationFactory(status="rejected", published_at=None, owner=member)
    client.post(f"/dashboard/organizations/{org.slug}/edit/", {**ORG_FORM, "name": "Revised"})
    org.refresh_from_db()
    assert (org.name, org.status) == ("Revised", "pending")


def test_members_withdraw_their_own_listing_and_confirm_it_is_current(client, member):
    org = OrganizationFactory(last_verified_at=None)
    Membership.objects.create(user=member, organization=org, role="editor")
    initiative = InitiativeFactory(organization=org)
    dashboard = client.get("/dashboard/").content.decode()
    assert "Needs your attention" in dashboard
    assert client.post(f"/dashboard/organizations/{org.slug}/confirm/").status_code == 302
    org.refresh_from_db()
    assert org.last_verified_at is not None
    assert client.post(f"/dashboard/initiatives/{initiative.slug}/withdraw/").status_code == 302
    initiative.refresh_from_db()
    assert initiative.status == "archived"
    assert client.get(initiative.get_absolute_url()).status_code == 404
    assert "Withdrawn by" in initiative.history.first().history_change_reason


def test_claiming_a_listing_with_a_work_address(client, member):
    org = OrganizationFactory(website="https://www.civicbridge.example/about")
    page = client.get(org.get_absolute_url()).content.decode()
    assert "Is this your organization?" in page
    wrong = client.post(
        f"/organizations/{org.slug}/claim/",
        {"evidence": "domain_email", "work_email": "me@gmail.example", "message": ""},
    )
    assert wrong.status_code == 400
    assert "@civicbridge.example" in wrong.content.decode()
    response = client.post(
        f"/organizations/{org.slug}/claim/",
        {"evidence": "domain_email", "work_email": "me@civicbridge.example", "message": ""},
    )
    assert response.status_code == 302
    claim = ClaimRequest.objects.get()
    assert mail.outbox[-1].to == ["me@civicbridge.example"]
    link = re.search(r"http://testserver(/claims/verify/\S+)", mail.outbox[-1].body).group(1)
    client.get(link)  # a link scanner's visit confirms nothing
    claim.refresh_from_db()
    assert claim.email_verified_at is None
    client.post(link)
    claim.refresh_from_db()
    assert claim.email_verified_at is not None and claim.status == "pending"
    assert not Membership.objects.exists()  # a curator still decides

    decide(by=make_user("curator@example.org"), target=claim, action="approve")
    assert Membership.objects.get(organization=org).user == member
    assert "Is this your organization?" not in client.get(org.get_absolute_url()).content.decode()


def test_claiming_by_message_and_no_duplicate_claims(client, member):
    org = OrganizationFactory()
    data = {"evidence": "message", "work_email": "", "message": "I coordinate volunteers there."}
    assert client.post(f"/organizations/{org.slug}/claim/", data).status_code == 302
    again = client.post(f"/organizations/{org.slug}/claim/", data)
    assert again.status_code == 400
    assert ClaimRequest.objects.count() == 1


def test_a_failing_mail_server_loses_no_claim(client, member, settings):
    settings.EMAIL_BACKEND = "tests.accounts.failing_mail.FailingBackend"
    org = OrganizationFactory(website="https://civicbridge.example")
    response = client.post(
        f"/organizations/{org.slug}/claim/",
        {"evidence": "domain_email", "work_email": "me@civicbridge.example", "message": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert ClaimRequest.objects.filter(work_email="me@civicbridge.example").exists()
    assert "could not send the confirmation e-mail" in response.content.decode()


def test_sign_up_survives_a_failing_mail_server(client, settings):
    settings.EMAIL_BACKEND = "tests.accounts.failing_mail.FailingBackend"
    response = client.post(
        "/accounts/signup/",
        {"email": "later@example.org", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert get_user_model().objects.filter(email="later@example.org").exists()
    assert "could not send the e-mail" in response.content.decode()


def test_owners_invite_editors_who_accept_with_their_verified_address(client, member):
    org = OrganizationFactory(owner=member)
    response = client.post(
        f"/dashboard/organizations/{org.slug}/invite/", {"email": "ed@example.org"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    link = re.search(r"http://testserver(/invitations/\S+)", mail.outbox[-1].body).group(1)

    client.force_login(make_user("someone-else@example.org"))
    client.post(link)
    assert not Membership.objects.filter(organization=org, role="editor").exists()

    editor = make_user("ed@example.org")
    client.force_login(editor)
    assert client.post(link).status_code == 302
    assert Membership.objects.get(organization=org, user=editor).role == "editor"
    invitation.refresh_from_db()
    assert invitation.accepted_by == editor


def test_editors_cannot_invite(client, member):
    org = OrganizationFactory()
    Membership.objects.create(user=member, organization=org, role="editor")
    assert client.get(f"/dashboard/organizations/{org.slug}/invite/").status_code == 404
