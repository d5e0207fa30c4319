"""A second edit continues the first one still waiting, and an unchanged form sends nothing
(issue 17, item 6)."""

import pytest

from directory.models import ChangeRequest, Membership
from tests.accounts.test_journey import ORG_FORM, initiative_form
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_the_edit_form_starts_from_my_waiting_edit_and_keeps_it(client, member):
    org = OrganizationFactory(name="Old Name", summary="Old summary.", postal_code="80302")
    Membership.objects.create(user=member, organization=org, role="owner")
    url = f"/dashboard/organizations/{org.slug}/edit/"
    client.post(url, {**ORG_FORM, "name": "Old Name", "summary": "A better summary."})
    first = ChangeRequest.objects.get()

    page = client.get(url).content.decode()
    assert "This form starts from your changes sent on" in page
    assert "A better summary." in page  # not the public "Old summary."

    # A second edit, sent from that form, changes the title and keeps the summary edit.
    client.post(url, {**ORG_FORM, "name": "New Name", "summary": "A better summary."})
    first.refresh_from_db()
    assert first.status == "withdrawn"
    second = ChangeRequest.objects.get(status="pending")
    assert second.proposed["name"] == ["New Name"]
    assert second.proposed["summary"] == ["A better summary."]


def test_sending_my_waiting_edit_unchanged_makes_no_new_queue_item(client, member):
    org = OrganizationFactory(postal_code="80302")
    Membership.objects.create(user=member, organization=org, role="owner")
    url = f"/dashboard/organizations/{org.slug}/edit/"
    client.post(url, {**ORG_FORM, "name": "New Name"})
    first = ChangeRequest.objects.get()
    response = client.post(url, {**ORG_FORM, "name": "New Name"}, follow=True)
    assert "Nothing changed" in response.content.decode()
    first.refresh_from_db()
    assert first.status == "pending" and ChangeRequest.objects.count() == 1


def test_saving_an_unchanged_public_listing_makes_no_queue_item(client, member):
    org = OrganizationFactory(postal_code="80302")
    Membership.objects.create(user=member, organization=org, role="owner")
    initiative = InitiativeFactory(
        organization=org,
        title="Kitchen-table conversations",
        postal_code="80302",
        summary="Small groups of neighbors who vote differently meet at home.",
        get_involved="Host a table or join one.",
        welcomes_newcomers=True,
    )
    initiative.roles.set(initiative.roles.model.objects.filter(slug="bridge-builders"))
    initiative.goals.set(initiative.goals.model.objects.filter(slug="compromise"))
    url = f"/dashboard/initiatives/{initiative.slug}/edit/"
    response = client.post(url, initiative_form(org.slug), follow=True)
    assert "Nothing changed" in response.content.decode()
    assert not ChangeRequest.objects.exists()
    # Anything at all changed is sent.
    client.post(url, initiative_form(org.slug, title="Kitchen-table talks"))
    assert ChangeRequest.objects.get().proposed["title"] == ["Kitchen-table talks"]
