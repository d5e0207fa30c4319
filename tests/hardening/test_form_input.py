"""Hostile text typed into forms: refused with a clear message, what was typed kept, nothing
stored. Every form of the project is enumerated, so a new form is checked automatically."""

import importlib
import itertools
import pkgutil

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory

from directory import validators
from directory.models import ChangeRequest, ClaimRequest, Initiative, Organization, Report
from directory.models import Event as EventModel

from .conftest import logged_in
from .payloads import UNSTORABLE

pytestmark = pytest.mark.django_db

#: Forms that only read a query string (nothing is stored): a filter, not user text.
QUERY_FORMS = {"ListingFilterForm", "CoverageForm", "ImportForm"}


def project_forms() -> list[type]:
    """Every Form class defined in the project's own apps (imported so all are registered)."""
    for app in ("directory", "roles", "goals"):
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in info.name and ".management" not in info.name:
                importlib.import_module(info.name)
    found, stack = set(), [forms.BaseForm]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.split(".")[0] in ("directory", "roles", "goals"):
                found.add(sub)
    return sorted(found, key=lambda cls: cls.__qualname__)


def instantiate(form_class, two_orgs):
    kwargs = {}
    import inspect

    params = inspect.signature(form_class.__init__).parameters
    if "organization" in params:
        kwargs["organization"] = two_orgs["unmanaged"]
    if "user" in params:
        kwargs["user"] = two_orgs["attacker"]
    return form_class(**kwargs)


def test_every_text_field_of_every_form_refuses_unstorable_characters(two_orgs):
    classes = [c for c in project_forms() if c.__name__ not in QUERY_FORMS]
    names = {c.__name__ for c in classes}
    assert {
        "OrganizationForm",
        "InitiativeForm",
        "EventForm",
        "ClaimForm",
        "ReportForm",
        "AlertForm",
        "InvitationForm",
        "DecisionForm",
    } <= names
    checked = 0
    for form_class in classes:
        meta = getattr(form_class, "_meta", None)
        if form_class.__name__.endswith("Mixin") or (meta is not None and meta.model is None):
            continue  # a base class: its subclasses (and the admin's forms) are checked
        form = instantiate(form_class, two_orgs)
        for name, field in form.fields.items():
            if isinstance(field, forms.CharField):
                checked += 1
                assert validators.no_control_characters in field.validators, (form_class, name)
                multiline = isinstance(field.widget, forms.Textarea | forms.HiddenInput)
                assert (validators.single_line in field.validators) is not multiline, (
                    form_class,
                    name,
                )
                assert (validators.no_invisible_formatting in field.validators) is not multiline
    assert checked >= 30


@pytest.mark.parametrize("model", [Organization, Initiative, EventModel])
def test_the_admin_forms_check_curators_text_too(superuser, model):
    request = RequestFactory().get("/")
    request.user = superuser
    form = admin.site._registry[model].get_form(request)()
    text_fields = {n: f for n, f in form.fields.items() if isinstance(f, forms.CharField)}
    assert {"summary", "description"} <= set(text_fields)
    for name, field in text_fields.items():
        assert validators.no_control_characters in field.validators, name
    assert validators.single_line in form.fields["summary"].validators
    assert validators.single_line not in form.fields["description"].validators


# What each public form needs to be valid, and where it is posted.
def organization_data():
    return {
        "name": "Good Neighbors",
        "summary": "We meet monthly.",
        "scope": "national",
        "description": "Line one.\nLine two.",
        "website": "good.example",
    }


def initiative_data():
    return {
        "organization": "mine",
        "title": "Listening nights",
        "summary": "We listen.",
        "scope": "national",
        "description": "About it.",
        "get_involved": "Come by.",
        "send": "1",
    }


def event_data():
    return {
        "organization": "mine",
        "title": "Forum",
        "summary": "A forum.",
        "mode": "online",
        "starts_at": "2031-05-01T18:00",
        "timezone": "America/Denver",
        "join_url": "https://meet.example/x",
        "cost": "Free",
    }


FORM_POSTS = [
    # (url, data, a single-line field, a multi-line field, how to find what was stored)
    (
        "/submit/organization/",
        organization_data,
        "name",
        "description",
        lambda: Organization.objects.filter(slug__startswith="good"),
    ),
    (
        "/submit/initiative/",
        initiative_data,
        "title",
        "get_involved",
        lambda: Initiative.objects.filter(title__startswith="Listening"),
    ),
    (
        "/submit/event/",
        event_data,
        "title",
        "description",
        lambda: EventModel.objects.filter(title__startswith="Forum"),
    ),
    (
        "/organizations/unmanaged/claim/",
        lambda: {"evidence": "message", "message": "I run it."},
        None,
        "message",
        lambda: ClaimRequest.objects.exclude(message="I run it."),
    ),
    (
        "/report/organizations/theirs/",
        lambda: {"kind": "incorrect", "message": "Wrong ZIP."},
        None,
        "message",
        lambda: Report.objects.filter(kind="incorrect"),
    ),
    (
        "/dashboard/organizations/mine/edit/",
        organization_data,
        "name",
        "description",
        lambda: ChangeRequest.objects.filter(organization__slug="mine"),
    ),
]
FORM_CASES = [pytest.param(*row, id=row[0]) for row in FORM_POSTS]


@pytest.mark.parametrize(("url", "data", "line_field", "text_field", "stored"), FORM_CASES)
def test_forms_refuse_control_characters_and_keep_what_was_typed(
    two_orgs, url, data, line_field, text_field, stored
):
    client = logged_in(two_orgs["attacker"])
    fields = filter(None, (line_field, text_field))
    for field, character in itertools.product(fields, ["\x00", "\x07", "\ufffd", "\uffff"]):
        values = data()
        values[field] = f"Typed{character}text"
        response = client.post(url, values)
        assert response.status_code == 400, (url, field)
        html = response.content.decode()
        assert "invisible control character" in html, (url, field)
        for name, value in values.items():
            if name != field and name != "organization" and "\n" not in value:
                assert value in html, f"{url}: the typed {name} {value!r} was not kept"
        assert not stored().exists(), url


@pytest.mark.parametrize(("url", "data", "line_field", "text_field", "stored"), FORM_CASES)
def test_single_line_fields_refuse_line_breaks_and_text_fields_keep_them(
    two_orgs, url, data, line_field, text_field, stored
):
    client = logged_in(two_orgs["attacker"])
    if line_field:
        values = data()
        values[line_field] = "First line\nSecond line"
        response = client.post(url, values)
        assert response.status_code == 400
        assert "Keep this on one line." in response.content.decode()
        assert not stored().exists()
    values = data()
    values[text_field] = "First line\r\nSecond line"
    response = client.post(url, values)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_invalid_utf8_in_a_form_post_is_refused_not_stored(two_orgs):
    client = logged_in(two_orgs["attacker"])
    body = b"name=Good+%FF%FE+Neighbors&summary=We+meet.&scope=national"
    response = client.post(
        "/submit/organization/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "U+FFFD" in response.content.decode()
    assert not Organization.objects.filter(slug__startswith="good").exists()


def test_huge_fields_get_the_length_message(two_orgs):
    client = logged_in(two_orgs["attacker"])
    values = organization_data() | {"name": "N" * 50_000, "description": "D" * 200_000}
    response = client.post("/submit/organization/", values)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value has at most 200 characters" in html
    assert "Ensure this value has at most 10000 characters" in html
    assert not Organization.objects.filter(summary="We meet monthly.").exists()


def test_a_body_over_the_upload_limit_is_a_400(two_orgs, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    client = logged_in(two_orgs["attacker"])
    values = organization_data() | {"description": "D" * 200_000}
    response = client.post("/submit/organization/", values)
    assert response.status_code == 400
    assert not Organization.objects.filter(summary="We meet monthly.").exists()


def test_too_many_fields_is_a_400(two_orgs):
    client = logged_in(two_orgs["attacker"])
    body = "&".join(f"f{n}=x" for n in range(1500))
    response = client.post(
        "/submit/organization/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


def test_the_curators_note_is_checked_with_a_clear_message(two_orgs, curator):
    client = logged_in(curator)
    pending = two_orgs["pending_initiative"]
    response = client.post(
        f"/curate/decide/initiative/{pending.pk}/",
        {"action": "reject", "reason": "Bad\x07note"},
        follow=True,
    )
    assert "invisible control character" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "pending"


@pytest.mark.parametrize("name", sorted(UNSTORABLE))
def test_the_validator_names_the_character(name):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        validators.no_control_characters(f"a{UNSTORABLE[name]}b")
    assert f"U+{ord(UNSTORABLE[name]):04X}" in info.value.messages[0]
    validators.no_control_characters("Tabs\tand\nlines\r\nare fine, as is émoji 🎉 and 中文")


@pytest.mark.parametrize("zip_code", ["١٢٣٤٥", "８０３０２", "²³⁴⁵⁶"])
def test_zip_codes_in_other_scripts_digits_are_refused_not_crashing(two_orgs, zip_code):
    client = logged_in(two_orgs["attacker"])
    data = organization_data() | {"scope": "local", "postal_code": zip_code}
    response = client.post("/submit/organization/", data)
    assert response.status_code == 400
    assert "is not a known 5-digit U.S. ZIP code" in response.content.decode()
    data = event_data() | {"mode": "in_person", "postal_code": zip_code}
    assert client.post("/submit/event/", data).status_code == 400
    assert not EventModel.objects.filter(title="Forum").exists()


#: Zero-width, direction and byte-order characters: invisible, yet they change how a name reads.
INVISIBLE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
    "\ufeff",
]


@pytest.mark.parametrize("character", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_names_refuse_invisible_formatting_characters(two_orgs, character):
    client = logged_in(two_orgs["attacker"])
    values = organization_data() | {"name": f"Good{character} Neighbors"}
    response = client.post("/submit/organization/", values)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Remove the invisible control character (U+{ord(character):04X})" in html
    assert not Organization.objects.filter(summary="We meet monthly.").exists()


def test_descriptions_keep_the_joiners_and_marks_emoji_and_scripts_need(two_orgs):
    client = logged_in(two_orgs["attacker"])
    description = (
        "Families \U0001f469\u200d\U0001f467 welcome; \u05e2\u05d1\u05e8\u05d9\u05ea\u200f."
    )
    values = organization_data() | {"description": description}
    assert client.post("/submit/organization/", values).status_code == 302
    assert Organization.objects.get(summary="We meet monthly.").description == description


def test_a_zip_plus_4_is_taken_as_its_five_digits(two_orgs):
    client = logged_in(two_orgs["attacker"])
    form = client.get("/submit/organization/").content.decode()
    assert 'name="postal_code" maxlength="10"' in form
    data = organization_data() | {"scope": "local", "postal_code": "80302-1234"}
    assert client.post("/submit/organization/", data).status_code == 302
    org = Organization.objects.get(summary="We meet monthly.")
    assert (org.postal_code, org.city) == ("80302", "Boulder")
    data = event_data() | {"mode": "in_person", "postal_code": " 80302-1234 "}
    assert client.post("/submit/event/", data).status_code == 302
    assert EventModel.objects.get(title="Forum").postal_code == "80302"
    data = organization_data() | {"name": "Other", "scope": "local", "postal_code": "80302-12"}
    assert client.post("/submit/organization/", data).status_code == 400
