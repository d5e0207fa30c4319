"""Cron commands and the bulk import."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from directory.models import Initiative, ModerationDecision, Organization
from directory.services.imports import import_listings
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def run(*args, **kwargs) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def test_stale_listings_are_asked_about_then_archived_with_a_reason(submitter):
    old = timezone.now() - timedelta(days=400)
    org = OrganizationFactory(last_verified_at=old, owner=submitter)
    fresh = OrganizationFactory(last_verified_at=timezone.now())

    assert "1 members asked, 0 listings archived" in run("process_stale_listings")
    assert mail.outbox[-1].to == ["submitter@example.org"]
    assert "still accurate" in mail.outbox[-1].subject
    assert "0 members asked, 0 listings archived" in run("process_stale_listings")  # no spam

    Organization.objects.filter(pk=org.pk).update(
        stale_notice_sent_at=timezone.now() - timedelta(days=31)
    )
    assert "1 listings archived" in run("process_stale_listings")
    org.refresh_from_db()
    fresh.refresh_from_db()
    assert org.status == "archived" and fresh.status == "published"
    decision = ModerationDecision.objects.get(action="archive")
    assert decision.reason_code == "stale" and "30 days" in decision.reason


def test_a_confirmed_listing_is_not_archived(submitter):
    old = timezone.now() - timedelta(days=400)
    org = OrganizationFactory(last_verified_at=old, stale_notice_sent_at=old)
    org.last_verified_at = timezone.now()
    org.save()
    run("process_stale_listings")
    org.refresh_from_db()
    assert org.status == "published"


def test_stale_listings_nobody_manages_are_never_archived_automatically():
    old = timezone.now() - timedelta(days=400)
    orphan = OrganizationFactory(last_verified_at=old)
    for _ in range(2):
        run("process_stale_listings", "--grace-days", "0")
    orphan.refresh_from_db()
    assert orphan.status == "published" and orphan.stale_notice_sent_at is None


def test_the_curator_digest_lists_what_is_waiting(curator):
    InitiativeFactory(status="pending")
    assert "Digest sent to 1 curators." in run("curator_digest")
    assert "1 initiatives" in mail.outbox[-1].body


def test_no_digest_when_nothing_waits(curator):
    Organization.objects.update(last_verified_at=timezone.now())
    assert "no digest" in run("curator_digest")
    assert not mail.outbox


def test_make_curator_gives_moderation_but_not_superuser(submitter):
    run("make_curator", "submitter@example.org")
    user = get_user_model().objects.get(pk=submitter.pk)
    assert user.is_staff and not user.is_superuser and user.has_perm("directory.moderate")
    with pytest.raises(CommandError):
        run("make_curator", "nobody@example.org")


GOOD = """title,organization,summary,postal_code,scope,roles,goals,welcomes_newcomers
Dialogue nights,{org},Monthly talks.,80302,local,bridge-builders;facilitators,compromise,yes
Ballot helpers,{org},Help voters.,,national,civic-participants,electoral-integrity,no
"""

BAD = """title,organization,summary,postal_code,scope,roles,goals,welcomes_newcomers
Fine row,{org},Monthly talks.,80302,local,bridge-builders,compromise,yes
,{org},Missing title.,80302,local,,,no
Bad zip,{org},Nowhere.,00000,local,astronauts,,no
"""


def test_a_good_file_imports_every_row(tmp_path):
    org = OrganizationFactory(slug="host-org")
    path = tmp_path / "good.csv"
    path.write_text(GOOD.format(org=org.slug))
    assert "Imported 2 initiatives as published." in run(
        "import_listings", "initiatives", str(path), "--status", "published"
    )
    nights = Initiative.objects.get(title="Dialogue nights")
    assert (nights.status, nights.source, nights.city, nights.welcomes_newcomers) == (
        "published",
        "import",
        "Boulder",
        True,
    )
    assert set(nights.roles.values_list("slug", flat=True)) == {"bridge-builders", "facilitators"}
    assert "Imported by" in nights.history.first().history_change_reason


def test_a_file_with_bad_rows_imports_nothing_and_names_each_problem():
    org = OrganizationFactory(slug="host-org")
    result = import_listings(
        kind="initiatives", text=BAD.format(org=org.slug), status="pending", by="test"
    )
    assert not Initiative.objects.exists()
    assert any(e.startswith("line 3, title:") for e in result.errors)
    assert any(e.startswith("line 4, postal_code:") for e in result.errors)
    assert any(e.startswith("line 4, roles:") for e in result.errors)
    assert not any(e.startswith("line 2") for e in result.errors)


def test_the_command_fails_loudly_on_bad_rows(tmp_path):
    OrganizationFactory(slug="host-org")
    path = tmp_path / "bad.csv"
    path.write_text(BAD.format(org="host-org"))
    with pytest.raises(CommandError, match="Nothing imported"):
        run("import_listings", "initiatives", str(path))


def test_organizations_import_as_pending(tmp_path):
    text = "name,summary,website,postal_code,scope,roles,is_network\nNew Coalition,A network.,https://nc.example,,national,network-builders,yes\n"
    result = import_listings(kind="organizations", text=text, status="pending", by="test")
    assert not result.errors
    org = Organization.objects.get(name="New Coalition")
    assert (org.status, org.is_network, org.source) == ("pending", True, "import")


def test_the_admin_upload_imports_for_curators(curator_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org = OrganizationFactory(slug="host-org")
    upload = SimpleUploadedFile("good.csv", GOOD.format(org=org.slug).encode())
    response = curator_client.post(
        "/admin/directory/initiative/import/",
        {"kind": "initiatives", "status": "pending", "file": upload},
    )
    assert response.status_code == 200
    assert "Imported 2 listings" in response.content.decode()
    assert Initiative.objects.filter(status="pending", source="import").count() == 2


def test_scope_is_optional_and_local_by_default_as_documented():
    org = OrganizationFactory(slug="host-org")
    text = (
        "title,organization,summary,postal_code\n"
        f"Porch talks,{org.slug},Talks on porches.,80302\n"
        f"Anywhere talks,{org.slug},No place given.,\n"
    )
    result = import_listings(kind="initiatives", text=text, status="pending", by="test")
    assert result.errors == [
        "line 3, postal_code: Local, statewide and regional work needs a ZIP code."
    ]
    result = import_listings(
        kind="initiatives", text="\n".join(text.splitlines()[:2]), status="pending", by="test"
    )
    assert not result.errors
    assert Initiative.objects.get(title="Porch talks").scope == "local"
    result = import_listings(
        kind="organizations",
        text="name,summary,postal_code\nPorch club,Talks.,80302\n",
        status="pending",
        by="test",
    )
    assert not result.errors
    assert Organization.objects.get(name="Porch club").scope == "local"


def test_a_yes_or_no_column_refuses_anything_else():
    org = OrganizationFactory(slug="host-org")
    text = (
        "title,organization,summary,scope,welcomes_newcomers\n"
        f"Unsure,{org.slug},Maybe.,national,maybe\n"
        f"Closed,{org.slug},No newcomers.,national,no\n"
        f"Open,{org.slug},Newcomers.,national,Yes\n"
    )
    result = import_listings(kind="initiatives", text=text, status="pending", by="test")
    assert result.errors == [
        "line 2, welcomes_newcomers: “maybe” is not yes or no (use yes, true or 1; or no, "
        "false, 0 or leave it empty)."
    ]
    assert not Initiative.objects.exists()
    result = import_listings(
        kind="initiatives", text=text.replace("maybe", ""), status="pending", by="test"
    )
    assert not result.errors
    newcomers = dict(Initiative.objects.values_list("title", "welcomes_newcomers"))
    assert newcomers == {"Unsure": False, "Closed": False, "Open": True}
