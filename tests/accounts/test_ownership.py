"""Owners run their organization: only they withdraw it (after a confirmation page), see its
members, remove editors and revoke invitations; invitations expire (issue 17, item 5)."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from directory.models import Event, Invitation, Membership
from tests.accounts.test_journey import make_user
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def organization_of(user, role="owner", **kwargs):
    org = OrganizationFactory(**kwargs)
    Membership.objects.create(user=user, organization=org, role=role)
    return org


def test_an_editor_cannot_withdraw_the_organization(client, member):
    org = organization_of(member, role="editor")
    url = f"/dashboard/organizations/{org.slug}/withdraw/"
    assert url not in client.get("/dashboard/").content.decode()
    assert client.post(url, {"confirm": "yes"}).status_code == 404
    org.refresh_from_db()
    assert org.status == "published"


def test_an_owner_withdraws_the_organization_only_after_confirming(client, member):
    org = organization_of(member)
    InitiativeFactory(organization=org)
    url = f"/dashboard/organizations/{org.slug}/withdraw/"
    assert url in client.get("/dashboard/").content.decode()
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "initiatives (1) and events (0)" in text and "only a curator can bring" in text
    # A POST without the confirmation (a stray button, an old form) only shows the page.
    assert client.post(url).status_code == 200
    org.refresh_from_db()
    assert org.status == "published"
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    org.refresh_from_db()
    assert org.status == "archived"


def test_editors_do_not_see_the_invite_or_members_links(client, member):
    org = organization_of(member, role="editor")
    page = client.get("/dashboard/").content.decode()
    assert "Invite an editor" not in page and f"/organizations/{org.slug}/members/" not in page
    assert client.get(f"/dashboard/organizations/{org.slug}/members/").status_code == 404
    mine = organization_of(member)
    page = client.get("/dashboard/").content.decode()
    assert f"/dashboard/organizations/{mine.slug}/invite/" in page
    assert f"/dashboard/organizations/{mine.slug}/members/" in page


def test_owners_see_members_and_remove_an_editor(client, member):
    org = organization_of(member)
    editor = make_user("ed@example.org")
    other_owner = make_user("co-owner@example.org")
    ed_membership = Membership.objects.create(user=editor, organization=org, role="editor")
    owner_membership = Membership.objects.create(user=other_owner, organization=org, role="owner")
    page = client.get(f"/dashboard/organizations/{org.slug}/members/").content.decode()
    assert "ed@example.org" in page and "co-owner@example.org" in page
    base = f"/dashboard/organizations/{org.slug}/members"
    # Owners are not removed this way (a curator's job).
    assert client.post(f"{base}/{owner_membership.pk}/remove/").status_code == 404
    assert client.post(f"{base}/{ed_membership.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(user=editor).exists()
    assert Membership.objects.filter(user=other_owner).exists()
    # The removed editor has lost access.
    client.force_login(editor)
    assert client.get(f"/dashboard/organizations/{org.slug}/edit/").status_code == 404


def test_owners_revoke_an_invitation_and_its_link_stops_working(client, member):
    org = organization_of(member)
    client.post(f"/dashboard/organizations/{org.slug}/invite/", {"email": "ed@example.org"})
    invitation = Invitation.objects.get()
    link = re.search(r"http://testserver(/invitations/\S+)", mail.outbox[-1].body).group(1)
    page = client.get(f"/dashboard/organizations/{org.slug}/members/").content.decode()
    assert "ed@example.org" in page and "Revoke" in page
    url = f"/dashboard/organizations/{org.slug}/invitations/{invitation.pk}/revoke/"
    assert client.post(url).status_code == 302
    client.force_login(make_user("ed@example.org"))
    assert client.post(link).status_code == 404
    assert not Membership.objects.filter(user__email="ed@example.org").exists()


def test_invitations_expire_after_14_days_and_say_so(client, member):
    org = organization_of(member)
    form = client.get(f"/dashboard/organizations/{org.slug}/invite/").content.decode()
    assert "It works for 14 days" in form
    client.post(f"/dashboard/organizations/{org.slug}/invite/", {"email": "ed@example.org"})
    invitation = Invitation.objects.get()
    body = mail.outbox[-1].body
    assert "The link works for 14 days, until" in body
    link = re.search(r"http://testserver(/invitations/\S+)", body).group(1)
    editor = make_user("ed@example.org")
    client.force_login(editor)
    assert "The invitation is open until" in client.get(link).content.decode()

    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=15)
    )
    page = client.get(link)
    assert page.status_code == 410 and "This invitation expired on" in page.content.decode()
    assert client.post(link).status_code == 410
    assert not Membership.objects.filter(user=editor).exists()


def test_the_withdraw_page_counts_what_goes_with_the_organization(client, member):
    org = organization_of(member)
    Event.objects.create(
        organization=org,
        title="Forum",
        slug="forum",
        summary="s",
        status="published",
        starts_at=timezone.now() + timedelta(days=2),
        postal_code="80302",
    )
    page = client.get(f"/dashboard/organizations/{org.slug}/withdraw/").content.decode()
    assert "initiatives (0) and events (1)" in page
