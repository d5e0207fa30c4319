"""The site cannot be made to mail people in an organization's name (issue 17, item 7): only
published organizations invite, never their own members, and each address gets few invitations
whoever sends them. (Alert confirmations: tests/directory/test_alerts.py.)"""

import pytest
from django.core import mail

from directory.models import Invitation, Membership
from tests.accounts.test_journey import make_user
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def owned(user, **kwargs):
    org = OrganizationFactory(**kwargs)
    Membership.objects.create(user=user, organization=org, role="owner")
    return org


@pytest.mark.parametrize("status", ["pending", "rejected", "archived"])
def test_an_unpublished_organization_cannot_invite(client, member, status):
    org = owned(member, name="BUY CHEAP PILLS", status=status, published_at=None)
    url = f"/dashboard/organizations/{org.slug}/invite/"
    assert url not in client.get("/dashboard/").content.decode()
    response = client.post(url, {"email": "victim@example.org"}, follow=True)
    assert "once a curator has published" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_members_and_the_inviter_cannot_be_invited(client, member):
    org = owned(member)
    editor = make_user("ed@example.org")
    Membership.objects.create(user=editor, organization=org, role="editor")
    url = f"/dashboard/organizations/{org.slug}/invite/"
    for address in ("member@example.org", "ED@example.org"):
        response = client.post(url, {"email": address})
        assert response.status_code == 400
        assert "belongs to a member already" in response.content.decode()
    assert not Invitation.objects.exists() and mail.outbox == []


def test_an_open_invitation_is_not_sent_twice(client, member):
    org = owned(member)
    url = f"/dashboard/organizations/{org.slug}/invite/"
    assert client.post(url, {"email": "new@example.org"}).status_code == 302
    again = client.post(url, {"email": "New@example.org"})
    assert again.status_code == 400 and "still open" in again.content.decode()
    assert len(mail.outbox) == 1


def test_one_address_gets_few_invitations_whoever_sends_them(client):
    codes = []
    for n in range(5):
        owner = make_user(f"owner{n}@example.org")
        org = owned(owner)
        client.force_login(owner)
        codes.append(
            client.post(
                f"/dashboard/organizations/{org.slug}/invite/", {"email": "victim@example.org"}
            ).status_code
        )
    assert codes == [302, 302, 302, 429, 429]
    assert [m.to for m in mail.outbox].count(["victim@example.org"]) == 3


def test_one_sender_sends_only_so_many_invitations(client, member, settings):
    settings.MAIL_RATE_PER_SENDER = "3/h"
    org = owned(member)
    codes = [
        client.post(
            f"/dashboard/organizations/{org.slug}/invite/", {"email": f"p{n}@example.org"}
        ).status_code
        for n in range(4)
    ]
    assert codes == [302, 302, 302, 429]
    assert Invitation.objects.count() == 3
