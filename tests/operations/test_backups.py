"""A backup restores everything into an empty database, and the public API is identical after."""

import json
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework_api_key.models import APIKey

from directory.models import (
    Alert,
    ChangeRequest,
    ClaimRequest,
    Event,
    Initiative,
    Membership,
    ModerationDecision,
    Organization,
    Report,
)
from directory.services.moderation import decide
from roles.models import Role
from tests.factories import (
    AlertFactory,
    APIKeyFactory,
    ChangeRequestFactory,
    ClaimRequestFactory,
    InitiativeFactory,
    OrganizationFactory,
    ReportFactory,
    UserFactory,
)

# Flushing the database needs real transactions (these tests run after the others).
pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = [
    "/api/v1/initiatives/?page_size=100",
    "/api/v1/organizations/?page_size=100",
    "/api/v1/events/?page_size=100&past=true",
    "/api/v1/changes/?limit=500",
    "/api/v1/roles/",
    "/api/v1/goals/",
    "/api/v1/coverage/",
]


def snapshot(client) -> dict:
    return {url: client.get(url).json() for url in PUBLIC}


def counts() -> dict:
    models = [
        Organization,
        Initiative,
        Event,
        Membership,
        ClaimRequest,
        ChangeRequest,
        Report,
        ModerationDecision,
        Alert,
        APIKey,
        EmailAddress,
        get_user_model(),
        Role,
    ]
    result = {m.__name__: m.objects.count() for m in models}
    result["history"] = Initiative.history.count() + Organization.history.count()
    return result


def test_export_then_import_into_an_empty_database_restores_everything(client, tmp_path):
    call_command("seed", verbosity=0, stdout=StringIO())
    curator = UserFactory(username="cur")
    member = UserFactory(username="mem", verified=True)
    mediators = Role.objects.get(slug="mediators")
    org = OrganizationFactory(name="Backed Up Org", roles=[mediators], owner=member)
    initiative = InitiativeFactory(organization=org, status="pending", published_at=None)
    decide(by=curator, target=initiative, action="approve")
    ChangeRequestFactory(listing=org, proposed={"name": ["X"]}, submitted_by=member)
    ClaimRequestFactory(user=member, message="hi")
    ReportFactory(listing=initiative, kind="outdated", message="Moved.")
    AlertFactory(email="a@example.org", kind="initiatives", confirmed=True)
    APIKeyFactory(name="Partner")

    before_api, before_counts = snapshot(client), counts()
    path = tmp_path / "backup.json"
    call_command("export_data", str(path), stdout=StringIO())

    call_command("flush", interactive=False, verbosity=0)
    assert Organization.objects.count() == 0 and Role.objects.count() == 0
    call_command("import_data", str(path), stdout=StringIO())

    assert counts() == before_counts
    after_api = snapshot(client)
    assert after_api == before_api
    restored = Initiative.objects.get(pk=initiative.pk)
    assert ModerationDecision.objects.get(action="approve").target == restored
    assert restored.history.first().history_change_reason.startswith("Approved")
    assert (
        Membership.objects.get(organization__name="Backed Up Org").user.email == "mem@example.org"
    )


def test_the_backup_refers_to_rows_by_key_and_to_what_migrate_makes_by_natural_key(tmp_path):
    """Listings, links, history and users keep their keys in a restore, so the file refers to
    them by key (no query per reference when writing or reading it); content types,
    permissions and groups are made again by ``migrate``, so by natural key
    (``directory/backup_json.py``)."""
    call_command("loaddata", "goals", "roles", verbosity=0)  # a test before may have flushed
    mediators = Role.objects.get(slug="mediators")
    curator = UserFactory(username="cur")
    curator.groups.add(Group.objects.get_or_create(name="Curators")[0])
    org = OrganizationFactory(name="Backed Up Org", roles=[mediators])
    initiative = InitiativeFactory(organization=org, status="pending", published_at=None)
    decide(by=curator, target=initiative, action="approve")
    path = tmp_path / "backup.json"
    call_command("export_data", str(path), stdout=StringIO())
    rows = json.loads(path.read_text())

    def row(model, **fields):
        return next(
            r for r in rows if r["model"] == model and fields.items() <= r["fields"].items()
        )

    assert row("directory.initiative", slug=initiative.slug)["fields"]["organization"] == org.pk
    assert row("directory.organization", slug=org.slug)["fields"]["roles"] == [mediators.pk]
    assert row("roles.role", slug="mediators")["fields"]["group"] == mediators.group_id
    history = row("directory.historicalinitiative", slug=initiative.slug)["fields"]
    assert history["organization"] == org.pk
    assert row("directory.moderationdecision", action="approve")["fields"]["target_type"] == [
        "directory",
        "initiative",
    ]
    assert row("auth.user", username="cur")["fields"]["groups"] == [["Curators"]]


def test_import_refuses_a_database_that_already_has_listings(tmp_path):
    from django.core.management import CommandError

    OrganizationFactory()
    path = tmp_path / "backup.json"
    call_command("export_data", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="already holds listings"):
        call_command("import_data", str(path), stdout=StringIO())
