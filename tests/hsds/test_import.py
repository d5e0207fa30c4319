"""HSDS 3.0 import (admin page and ``manage.py import_hsds``): all or nothing, problems by record
and field, everything pending, duplicates flagged, sources kept; and the round trip: export as
HSDS, import into an empty database, export again, same documents."""

import copy
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from directory.hsds.export import export_package
from directory.hsds.importer import import_hsds
from directory.hsds.package import PackageError
from directory.models import Event, Initiative, Organization, SourceRecord
from directory.services.curators import ensure_curators_group
from tests.factories import InitiativeFactory, OrganizationFactory

from .schemas import assert_valid

pytestmark = pytest.mark.django_db
BASE = "http://testserver"


@pytest.fixture
def directory(valley):
    """Valley Mediation Center (conftest), verified to the microsecond, and listings by state."""
    org = valley[0]
    org.last_verified_at = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
    org.save()
    InitiativeFactory(organization=org, title="Colorado civics", scope="state", state="CO")
    OrganizationFactory(name="Statewide Voices", scope="state", state="OH")
    return org


def _without_last_modified(value):
    if isinstance(value, dict):
        return {k: _without_last_modified(v) for k, v in value.items() if k != "last_modified"}
    if isinstance(value, list):
        return [_without_last_modified(v) for v in value]
    return value


def _empty_the_directory():
    SourceRecord.objects.all().delete()
    Event.objects.all().delete()
    Initiative.objects.all().delete()
    Organization.objects.all().delete()


def _approve_everything():
    for model in (Organization, Initiative, Event):
        model.objects.update(status="published", published_at=timezone.now())


def test_round_trip_gives_the_same_documents(directory):
    first = export_package(BASE)
    assert len(first["organizations"]) == 2
    for org in first["organizations"]:
        assert_valid(org, "organization.json")
        for service in org["services"]:
            assert_valid(service, "service.json")
    assert sum(len(s["schedules"]) for o in first["organizations"] for s in o["services"]) == 1

    _empty_the_directory()
    result = import_hsds(json.loads(json.dumps(first)), by="test")
    assert result.errors == []
    assert len(result.created) == 2 + 3 + 1  # organizations, services, the event
    assert {o.status for o in result.created} == {"pending"}
    _approve_everything()
    second = export_package(BASE)
    # Only the moment of the last change differs: the import is a change.
    assert _without_last_modified(second) == _without_last_modified(first)


def test_round_trip_through_the_tabular_form(directory, tmp_path):
    first = export_package(BASE)
    call_command("export_hsds", output=tmp_path / "package.zip", csv=True)
    with zipfile.ZipFile(tmp_path / "package.zip") as archive:
        assert {"organizations.csv", "services.csv", "metadata.csv", "schedules.csv"} <= set(
            archive.namelist()
        )
    _empty_the_directory()
    call_command("import_hsds", tmp_path / "package.zip")
    assert set(Organization.objects.values_list("status", flat=True)) == {"pending"}
    _approve_everything()
    assert _without_last_modified(export_package(BASE)) == _without_last_modified(first)


def test_sources_and_verification_are_kept(directory):
    package = export_package(BASE)
    _empty_the_directory()
    import_hsds(package, by="test")
    org = Organization.objects.get(name="Valley Mediation Center")
    assert org.status == "pending" and org.source == "import" and org.slug == "valley-mediation"
    assert org.last_verified_at == datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
    (source,) = org.sources.all()
    assert (source.url, source.publisher, source.seen_on, source.supports) == (
        "https://valley.example.org/about",
        "Valley Mediation Center",
        date(2026, 12, 1),
        ["name", "website", "place", "founding_year"],
    )
    initiative = org.initiatives.get(title="Neighbor mediation")
    assert [s.url for s in initiative.sources.all()] == ["https://news.example.org/story"]
    assert list(initiative.languages.values_list("code", flat=True)) == ["es"]
    assert list(initiative.roles.values_list("number", flat=True)) == [20]
    assert (initiative.city, initiative.state, initiative.scope) == ("Boulder", "CO", "local")
    assert org.initiatives.get(title="Online dialogues").scope == "national"
    statewide = org.initiatives.get(title="Colorado civics")
    assert (statewide.scope, statewide.state, statewide.postal_code) == ("state", "CO", "")
    assert Organization.objects.get(name="Statewide Voices").state == "OH"
    event = Event.objects.get()
    assert (event.initiative, event.status, event.timezone) == (
        initiative,
        "pending",
        "America/Denver",
    )


def _package():
    return {
        "organizations": [
            {
                "id": "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f10",
                "name": "Riverside Dialogue Project",
                "description": "Brings people together across divides.",
                "website": "https://riverside.example.org/",
                "locations": [
                    {
                        "id": "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f11",
                        "location_type": "physical",
                        "addresses": [
                            {
                                "id": "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f12",
                                "address_1": "1 Main St",
                                "city": "Boulder",
                                "state_province": "CO",
                                "postal_code": "80302",
                                "country": "US",
                                "address_type": "physical",
                            }
                        ],
                    }
                ],
                "services": [
                    {
                        "id": "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f13",
                        "name": "Living-room conversations",
                        "status": "active",
                        "description": "Small conversations at home.",
                        "attributes": [
                            {
                                "id": "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f14",
                                "taxonomy_term": {
                                    "id": "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f15",
                                    "name": "Other",
                                    "description": "x",
                                    "taxonomy": "Open Eligibility",
                                },
                            }
                        ],
                    },
                ],
                "metadata": [
                    {
                        "id": "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f16",
                        "last_action_date": "2026-10-01",
                        "last_action_type": "source",
                        "field_name": "name,website",
                        "previous_value": "",
                        "replacement_value": "https://riverside.example.org/about",
                        "updated_by": "Riverside",
                    }
                ],
            }
        ]
    }


def test_a_partner_package_lands_pending_with_its_sources():
    result = import_hsds(_package(), by="test", source="partner")
    assert result.errors == [] and result.skipped == 1  # the other taxonomy's attribute
    org = Organization.objects.get(name="Riverside Dialogue Project")
    assert (org.status, org.source, org.postal_code) == ("pending", "partner", "80302")
    assert org.sources.get().supports == ["name", "website"]
    service = Initiative.objects.get()
    assert (service.status, service.organization, service.summary) == (
        "pending",
        org,
        "Small conversations at home.",
    )


def test_any_problem_and_nothing_is_imported_with_problems_by_record_and_field():
    package = _package()
    bad = package["organizations"][0]
    bad["website"] = "not a web address"
    bad["locations"][0]["addresses"][0]["postal_code"] = "00000"
    bad["services"][0]["languages"] = [{"id": "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f17", "code": "xx"}]
    bad["services"].append({"id": "nope", "name": "", "status": "active"})
    result = import_hsds(package, by="test")
    assert result.created == []
    assert not Organization.objects.exists() and not Initiative.objects.exists()
    errors = "\n".join(result.errors)
    assert "organizations[0] (Riverside Dialogue Project), website: Enter a valid URL." in errors
    assert (
        "organizations[0] (Riverside Dialogue Project), locations[0].addresses[0].postal_code:"
        in errors
    )
    assert "organizations[0].services[0].languages[0] (Living-room conversations), code:" in errors
    assert "organizations[0].services[1] (nope), id: Required: a UUID." in errors
    assert "organizations[0].services[1] (nope), description: Required" in errors
    assert "organizations[0].services[1] (nope), name: This field cannot be blank." in errors


def test_an_id_already_in_the_directory_is_refused():
    import_hsds(_package(), by="test")
    result = import_hsds(_package(), by="test")
    assert any("id: Already in the directory" in e for e in result.errors)
    assert Organization.objects.count() == 1


def test_possible_duplicates_are_flagged_by_name_website_and_place():
    existing = OrganizationFactory(
        name="Riverside Dialogue Project",
        website="https://www.riverside.example.org/about",
        postal_code="",
    )
    OrganizationFactory(name="Riverside Dialogue Project", postal_code="10001")  # name only
    result = import_hsds(_package(), by="test")
    assert result.errors == []
    new = Organization.objects.get(uuid="0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f10")
    assert result.duplicates == [(new, existing)]
    reason = new.history.first().history_change_reason
    assert reason == f"HSDS import by test; possible duplicate of {existing.slug}"


def test_services_of_an_organization_already_listed():
    org = OrganizationFactory()
    package = {
        "services": [
            {
                "id": "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f20",
                "name": "Town halls",
                "status": "active",
                "description": "Monthly town halls.",
                "organization_id": str(org.uuid),
            }
        ]
    }
    result = import_hsds(package, by="test")
    assert result.errors == []
    assert Initiative.objects.get().organization == org
    package["services"][0]["organization_id"] = "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f99"
    package["services"][0]["id"] = "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f21"
    assert "services[0] (Town halls), organization_id:" in import_hsds(package, by="test").errors[0]


def test_the_management_command(tmp_path, directory):
    path = tmp_path / "package.json"
    call_command("export_hsds", output=path)
    _empty_the_directory()
    bad = copy.deepcopy(json.loads(path.read_text()))
    bad["organizations"][0]["name"] = ""
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_hsds", tmp_path / "bad.json")
    assert not Organization.objects.exists()
    call_command("import_hsds", path, "--partner")
    assert set(Organization.objects.values_list("status", "source")) == {("pending", "partner")}
    with pytest.raises(CommandError, match="not JSON"):
        (tmp_path / "broken.json").write_text("{")
        call_command("import_hsds", tmp_path / "broken.json")


def test_the_admin_page_imports_for_curators(client):
    curator = get_user_model().objects.create_user("cura", "cura@example.org", "pw", is_staff=True)
    curator.groups.add(ensure_curators_group())
    client.force_login(curator)
    url = "/admin/directory/initiative/import-hsds/"
    assert f'href="{url}"' in client.get("/admin/directory/initiative/import/").content.decode()
    assert client.get(url).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.json", json.dumps(_package()).encode(), "application/json")
    page = client.post(url, {"file": upload, "source": "import"}).content.decode()
    assert "Imported 2 listings, pending review." in page
    assert Organization.objects.get().status == "pending"
    package = _package()
    package["organizations"][0]["name"] = ""
    upload = SimpleUploadedFile("p.json", json.dumps(package).encode(), "application/json")
    page = client.post(url, {"file": upload, "source": "import"}).content.decode()
    assert "Nothing imported" in page and "name: This field cannot be blank." in page
    client.force_login(
        get_user_model().objects.create_user("s", "s@example.org", "pw", is_staff=True)
    )
    assert client.get(url).status_code == 403


def test_the_history_reason_fits_its_column_with_a_long_importer_name():
    existing = OrganizationFactory(
        name="Riverside Dialogue Project", website="https://riverside.example.org/"
    )
    result = import_hsds(_package(), by="someone-" + "x" * 150 + "@example.org")
    assert result.errors == [] and len(result.duplicates) == 1
    reason = Organization.objects.get(source="import").history.first().history_change_reason
    assert reason.startswith("HSDS import by someone-xxx")
    assert len(reason) == 100 and reason.endswith(f"; possible duplicate of {existing.slug}")


def test_malformed_values_are_problems_not_crashes():
    package = _package()
    org = package["organizations"][0]
    org["year_incorporated"] = float("nan")
    org["locations"][0]["latitude"] = float("inf")
    org["attributes"] = "goals"
    org["metadata"] = [1, {"last_action_type": "source", "last_action_date": "someday"}]
    org["services"][0]["schedules"] = [
        {"id": "0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f30", "dtstart": "2026-12-01", "timezone": True}
    ]
    errors = "\n".join(import_hsds(package, by="test").errors)
    assert (
        "organizations[0] (Riverside Dialogue Project), year_incorporated: Expected a year."
        in errors
    )
    assert "organizations[0] (Riverside Dialogue Project), latitude: Expected a number." in errors
    assert "organizations[0].metadata[1] (Riverside Dialogue Project), replacement_value:" in errors
    assert (
        "organizations[0].services[0].schedules[0] (0b6e2a57-3f33-4a43-9d1b-4f1a7c0c2f30), timezone:"
        in errors
    )
    assert not Organization.objects.exists()
    assert "Expected an object." in import_hsds([1, 2], by="test").errors[0]
    for not_a_package in ("x", {}, {"organizations": 5}, {"services": "x"}):
        with pytest.raises(PackageError):
            import_hsds(not_a_package, by="test")
