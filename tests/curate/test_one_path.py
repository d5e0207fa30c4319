"""One moderation path: every decision, from /curate/ or from an admin action, is checked,
recorded as a ModerationDecision and told to the submitter. Approving a member's edit to a listing
changed since the edit was sent asks first."""

from html.parser import HTMLParser

import pytest
from django.core import mail

from directory.models import ChangeRequest, ClaimRequest, Membership, ModerationDecision
from directory.services.moderation import decide
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

EDIT = {
    "summary": ["A new summary from the member."],
    "postal_code": ["80302"],
    "scope": ["local"],
    "roles": [],
    "goals": [],
    "networks": [],
}


def member_edit(submitter, org, **proposed):
    return ChangeRequest.objects.create(
        organization=org,
        submitted_by=submitter,
        proposed={"name": [org.name], **EDIT, **proposed},
    )


def the_decision(action: str, target) -> ModerationDecision:
    decision = ModerationDecision.objects.get(action=action)
    assert decision.target == target
    return decision


def told(email: str) -> bool:
    return any(email in message.to for message in mail.outbox)


def test_the_queue_records_and_tells(curator_client, curator, submitter):
    initiative = InitiativeFactory(status="pending", published_at=None, submitted_by=submitter)
    curator_client.post(f"/curate/decide/initiative/{initiative.pk}/", {"action": "approve"})
    assert the_decision("approve", initiative).curator == curator
    assert told("submitter@example.org")


def test_bulk_decisions_record_and_tell(curator_client, submitter):
    initiative = InitiativeFactory(status="pending", published_at=None, submitted_by=submitter)
    curator_client.post(
        "/curate/bulk/",
        {"item": [f"initiative:{initiative.pk}"], "action": "reject", "reason_code": "spam"},
    )
    assert the_decision("reject", initiative).reason_code == "spam"
    assert told("submitter@example.org")


def revertable(submitter):
    org = OrganizationFactory(name="First Name", submitted_by=submitter)
    first = org.history.earliest("history_date")
    org.name = "Vandalised"
    org.save()
    return org, first


def test_reverting_in_curate_is_a_decision(curator_client, curator, submitter):
    org, first = revertable(submitter)
    response = curator_client.post(
        f"/curate/history/organizations/{org.slug}/revert/{first.history_id}/"
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "First Name"
    decision = the_decision("revert", org)
    assert decision.curator == curator and decision.reason.startswith("Version of ")
    assert told("submitter@example.org")


def test_reverting_in_the_admin_is_a_decision(curator_client, submitter):
    org, first = revertable(submitter)
    url = f"/admin/directory/organization/{org.pk}/history/{first.history_id}/"
    assert curator_client.get(url).status_code == 200
    response = curator_client.post(url, {"name": "Typed over", "summary": "Ignored."})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "First Name"  # the version as recorded
    the_decision("revert", org)
    assert told("submitter@example.org")


def test_granting_a_claim_in_the_admin_is_a_decision(curator_client, submitter):
    org = OrganizationFactory()
    claim = ClaimRequest.objects.create(
        user=submitter, organization=org, evidence="message", message="I run it."
    )
    curator_client.post(
        "/admin/directory/claimrequest/", {"action": "grant", "_selected_action": [claim.pk]}
    )
    assert Membership.objects.get(organization=org).user == submitter
    the_decision("approve", claim)
    assert told("submitter@example.org")


def test_approving_an_edit_in_the_admin_is_a_decision(curator_client, submitter):
    org = OrganizationFactory(name="Before")
    change = member_edit(submitter, org, name=["After"])
    curator_client.post(
        "/admin/directory/changerequest/", {"action": "approve", "_selected_action": [change.pk]}
    )
    org.refresh_from_db()
    assert org.name == "After"
    the_decision("approve", change)
    assert told("submitter@example.org")


def curator_edits_directly(org, **values):
    for field, value in values.items():
        setattr(org, field, value)
    org._change_reason = "Fixed by a curator"
    org.save()


def test_approving_an_edit_made_before_a_curators_change_asks_first(
    curator_client, curator, submitter
):
    org = OrganizationFactory(name="Civic Nights", summary="The summary the member saw.")
    change = member_edit(submitter, org, name=["Civic Nights Boulder"])
    curator_edits_directly(org, summary="The curator's corrected summary.")

    url = f"/curate/decide/change/{change.pk}/"
    response = curator_client.post(url, {"action": "approve", "next": "/curate/queue/"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Changed since the edit was sent" in page
    assert "The curator&#x27;s corrected summary." in page  # what would be overwritten …
    assert "A new summary from the member." in page  # … and with what
    assert 'name="confirm" value="1"' in page
    org.refresh_from_db()
    change.refresh_from_db()
    assert (org.name, change.status) == ("Civic Nights", "pending")  # nothing applied yet
    assert not ModerationDecision.objects.exists()

    response = curator_client.post(url, {"action": "approve", "confirm": "1"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.summary) == ("Civic Nights Boulder", "A new summary from the member.")
    the_decision("approve", change)
    assert told("submitter@example.org")


def test_the_admin_skips_an_edit_made_before_a_curators_change(curator_client, submitter):
    org = OrganizationFactory(name="Civic Nights")
    change = member_edit(submitter, org, name=["Civic Nights Boulder"])
    curator_edits_directly(org, summary="The curator's corrected summary.")
    response = curator_client.post(
        "/admin/directory/changerequest/",
        {"action": "approve", "_selected_action": [change.pk]},
        follow=True,
    )
    assert "skipped" in response.content.decode()
    assert "(Short summary)" in response.content.decode()  # what was changed since
    change.refresh_from_db()
    org.refresh_from_db()
    assert change.status == "pending"
    assert org.summary == "The curator's corrected summary."
    assert not ModerationDecision.objects.exists()


def test_a_verification_since_is_no_conflict(curator, submitter):
    """Only the fields the edit sets count: a verification is not a change of content."""
    from directory.services.edit_forms import proposed_edit

    org = OrganizationFactory(name="Civic Nights")
    change = member_edit(submitter, org, name=["Civic Nights Boulder"])
    decide(by=curator, target=org, action="verify")
    decide(by=curator, target=change, action="approve", edit=proposed_edit(change))
    org.refresh_from_db()
    assert org.name == "Civic Nights Boulder"


class FormFields(HTMLParser):
    """The values a browser would send with the page's main form (the admin's change form)."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.append((name, ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            name, value = self.data.pop()
            self.data.append((name, value + data.removeprefix("\n")))


def change_form(client, url: str, **changes) -> dict:
    parser = FormFields()
    parser.feed(client.get(url).content.decode())
    data = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    data.update({name: [value] for name, value in changes.items()})
    return data


def test_publishing_in_the_admins_change_form_is_a_decision(curator_client, curator, submitter):
    initiative = InitiativeFactory(
        title="Town talks", status="pending", published_at=None, submitted_by=submitter
    )
    url = f"/admin/directory/initiative/{initiative.pk}/change/"
    data = change_form(curator_client, url, status="published", summary="Checked and tidied.")
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    initiative.refresh_from_db()
    assert (initiative.status, initiative.summary) == ("published", "Checked and tidied.")
    assert initiative.published_at is not None
    assert the_decision("approve", initiative).curator == curator
    assert told("submitter@example.org")


def test_rejecting_in_the_admins_change_form_is_sent_to_the_queue(curator_client, submitter):
    initiative = InitiativeFactory(status="pending", published_at=None, submitted_by=submitter)
    url = f"/admin/directory/initiative/{initiative.pk}/change/"
    response = curator_client.post(url, change_form(curator_client, url, status="rejected"))
    assert response.status_code == 200
    assert "Reject it in the curators&#x27; queue" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.status == "pending"
    assert not ModerationDecision.objects.exists()


def test_claims_and_edits_are_decided_by_actions_not_by_their_status_field(
    curator_client, submitter
):
    org = OrganizationFactory()
    claim = ClaimRequest.objects.create(
        user=submitter, organization=org, evidence="message", message="I run it."
    )
    change = member_edit(submitter, org)
    for url in (
        f"/admin/directory/claimrequest/{claim.pk}/change/",
        f"/admin/directory/changerequest/{change.pk}/change/",
    ):
        assert 'name="status"' not in curator_client.get(url).content.decode()


def test_the_queue_warns_and_bulk_approval_leaves_an_edit_made_before_a_curators_change(
    curator_client, submitter
):
    org = OrganizationFactory(name="Civic Nights")
    change = member_edit(submitter, org, name=["Civic Nights Boulder"])
    queue = curator_client.get("/curate/queue/").content.decode()
    assert "The listing was changed after this edit was sent" not in queue
    curator_edits_directly(org, summary="The curator's corrected summary.")
    queue = curator_client.get("/curate/queue/").content.decode()
    assert "The listing was changed after this edit was sent (Short summary)" in queue  # its label

    curator_client.post("/curate/bulk/", {"item": [f"change:{change.pk}"], "action": "approve"})
    change.refresh_from_db()
    assert change.status == "pending"
    assert not ModerationDecision.objects.exists()
