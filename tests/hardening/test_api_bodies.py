"""Hostile JSON bodies to ``POST /api/v1/submissions/``: every one is a 400 with field errors
(or a parse error), never a 500, and nothing is stored. Fields are enumerated from the
serializer, so a new field is covered automatically."""

import json

import pytest
from django.test import Client

from directory.api.serializers import SubmissionSerializer, SubmittedOrganizationSerializer
from directory.models import Initiative, Organization
from tests.factories import OrganizationFactory

from .payloads import UNSTORABLE

pytestmark = pytest.mark.django_db

URL = "/api/v1/submissions/"
MULTILINE = {"description", "get_involved"}


def valid() -> dict:
    return {
        "title": "Neighbors for fair elections",
        "summary": "Trains volunteers.",
        "organization": {"name": "Fair Count Collective", "summary": "A volunteer group."},
        "roles": ["civic-participants"],
        "goals": ["electoral-integrity"],
        "postal_code": "80302",
        "description": "Line one.\nLine two.",
    }


@pytest.fixture
def api(api_key):
    return Client(headers={"authorization": f"Api-Key {api_key}"})


def post(api, body, content_type="application/json"):
    if not isinstance(body, bytes | str):
        body = json.dumps(body)
    return api.post(URL, body, content_type=content_type)


def assert_refused(response, field=None) -> dict:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/json"
    errors = response.json()
    if field:
        assert field in errors, errors
    assert not Initiative.objects.exists() and not Organization.objects.exists()
    return errors


def text_fields(serializer_class) -> list[str]:
    from rest_framework import serializers

    return [
        name
        for name, field in serializer_class().get_fields().items()
        if isinstance(field, serializers.CharField)
    ]


def test_a_valid_submission_goes_through(api):
    response = post(api, valid())
    assert response.status_code == 201, response.json()
    assert Initiative.objects.get().description == "Line one.\nLine two."


@pytest.mark.parametrize("field", text_fields(SubmissionSerializer))
def test_every_text_field_refuses_unstorable_characters(api, field):
    for name, character in UNSTORABLE.items():
        body = valid()
        body[field] = f"bad{character}text"
        errors = assert_refused(post(api, body), field)
        assert f"U+{ord(character):04X}" in " ".join(errors[field]), name
    if field not in MULTILINE:
        body = valid()
        body[field] = "two\nlines"
        assert_refused(post(api, body), field)


@pytest.mark.parametrize("field", text_fields(SubmittedOrganizationSerializer))
def test_a_new_organizations_text_fields_refuse_them_too(api, field):
    body = valid()
    body["organization"][field] = "bad\x00text"
    errors = assert_refused(post(api, body), "organization")
    assert field in errors["organization"]


@pytest.mark.parametrize(
    "body",
    [
        '{"title": "a\\ud800b", "summary": "x"}',
        '{"title": "x", "summary": "\\udfff"}',
        '{"\\ud800": 1, "title": "x"}',
        '{"title": "x", "roles": ["\\ud83d"]}',
    ],
)
def test_lone_surrogates_are_a_400(api, body):
    errors = assert_refused(post(api, body))
    assert "surrogate" in json.dumps(errors) or "title" in errors or "summary" in errors


@pytest.mark.parametrize("depth", [40, 5000, 100_000])
def test_deeply_nested_json_is_a_400(api, depth):
    body = '{"title": ' + "[" * depth + "]" * depth + "}"
    errors = assert_refused(post(api, body))
    assert "nested" in errors["detail"]


def test_invalid_utf8_and_broken_json_are_a_400(api):
    for body in [b'{"title": "\xff\xfe"}', b"{", b'{"title": NaN}', b"\x00", b"[1, 2"]:
        assert_refused(post(api, body))


def test_a_body_over_the_upload_limit_is_a_400(api, settings):
    # Django's own check (RequestDataTooBig), answered as JSON like every other API error.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    response = post(api, valid() | {"description": "D" * 60_000})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "too large" in response.json()["detail"]
    assert not Initiative.objects.exists()


def test_huge_fields_get_the_length_message(api):
    body = valid() | {"title": "T" * 100_000, "description": "D" * 200_000}
    errors = assert_refused(post(api, body))
    assert {"title", "description"} <= set(errors)


@pytest.mark.parametrize("field", SubmissionSerializer().get_fields())
def test_wrong_types_in_every_field_are_never_a_500(api, field):
    for value in [None, 0, 1.5, True, [], {}, [[]], {"a": {"b": 1}}, "x" * 300, -1e308]:
        response = post(api, valid() | {field: value})
        assert response.status_code in (201, 400), (field, value, response.status_code)
        if response.status_code == 400:
            assert field in response.json() or "postal_code" in response.json(), response.json()


@pytest.mark.parametrize(
    "slug", ["a\x00b", "' OR 1=1 --", "%", "civic participants", "١٢٣", "x" * 5000, ""]
)
def test_odd_slugs_in_taxonomy_lists_are_a_400(api, slug):
    for field in ("roles", "goals", "languages"):
        body = valid() | {field: [slug]}
        assert_refused(post(api, body), field)


@pytest.mark.parametrize("zip_code", ["١٢٣٤٥", "８０３０２", "8030２", "80302\n1", "00000", "%_%"])
def test_zip_codes_must_be_five_ascii_digits(api, zip_code):
    body = valid() | {"postal_code": zip_code}
    assert_refused(post(api, body), "postal_code")
    body = valid()
    body["organization"]["postal_code"] = zip_code
    assert_refused(post(api, body), "organization")


def test_a_submitter_cannot_set_status_source_dates_or_ids(api):
    existing = OrganizationFactory(slug="existing")
    forged_id = "11111111-2222-3333-4444-555555555555"
    body = valid() | {
        "status": "published",
        "source": "paper",
        "published_at": "2020-01-01T00:00:00Z",
        "last_verified_at": "2020-01-01T00:00:00Z",
        "id": forged_id,
        "uuid": forged_id,
        "pk": existing.pk,
        "slug": "existing",
        "is_demo": True,
        "submitted_by": 1,
        "created_at": "2000-01-01T00:00:00Z",
        "organization_id": existing.pk,
    }
    body["organization"] |= {"status": "published", "source": "paper", "is_network": True}
    response = post(api, body)
    assert response.status_code == 201
    initiative = Initiative.objects.get(title=body["title"])
    assert initiative.status == "pending" and initiative.source == "partner"
    assert initiative.published_at is None and initiative.last_verified_at is None
    assert str(initiative.uuid) != forged_id and initiative.slug != "existing"
    assert not initiative.is_demo and initiative.organization != existing
    assert initiative.created_at.year > 2000
    org = initiative.organization
    assert org.status == "pending" and org.source == "partner" and not org.is_network
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize("character", ["\u200b", "\u202e", "\u2066", "\ufeff"])
def test_titles_and_names_refuse_invisible_formatting_characters(api, character):
    errors = assert_refused(post(api, valid() | {"title": f"Fair{character} count"}), "title")
    assert f"U+{ord(character):04X}" in " ".join(errors["title"])
    body = valid()
    body["organization"]["name"] = f"Fair{character} Count Collective"
    assert "name" in assert_refused(post(api, body), "organization")["organization"]


def test_a_zip_plus_4_is_taken_as_its_five_digits(api):
    body = valid() | {"postal_code": "80302-1234"}
    body["organization"]["postal_code"] = "80301-0001"
    response = post(api, body)
    assert response.status_code == 201, response.json()
    initiative = Initiative.objects.get()
    assert (initiative.postal_code, initiative.city) == ("80302", "Boulder")
    assert initiative.organization.postal_code == "80301"
    for malformed in ["80302-12", "80302-12345", "80302 1234", "8030-21234"]:
        Initiative.objects.all().delete()
        Organization.objects.all().delete()
        assert_refused(post(api, valid() | {"postal_code": malformed}), "postal_code")
