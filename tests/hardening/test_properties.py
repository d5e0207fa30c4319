"""Property-based tests (hypothesis): for *any* input, filters, forms, the JSON parser, the
serializer, cursors and ZIP look-ups answer cleanly (a value or a validation error), and what
the forms accept is stored and read back exactly.

Derandomized, with few examples each, so CI time stays small and a failure is reproducible.
"""

import io
import json
from datetime import UTC, datetime

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError

from directory import validators
from directory.api.changes import TYPES, BadCursor, Key
from directory.api.parsers import MAX_DEPTH, JSONParser
from directory.api.serializers import SubmissionSerializer
from directory.forms.listings import OrganizationForm
from directory.models import Event, Initiative, Organization
from directory.search.filters import EventFilter, InitiativeFilter, OrganizationFilter
from directory.search.geo import lookup_zip, zip_timezone

pytestmark = pytest.mark.django_db

FEW = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Text people could type, including what breaks naive code: controls, digits of other
#: scripts, SQL and format metacharacters (no surrogates: they cannot be sent as UTF-8).
nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="%_\\'\";-=+@<>&{}[]()\x00\x07\n\r\t ", max_size=12),
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=6),
    st.sampled_from(
        [
            "80302",
            "00000",
            "true",
            "false",
            "compromise",
            "bridge-builders",
            "co",
            "national",
            "newest",
            "distance",
            "2026-01-01",
            "2026-01-01T00:00:00Z",
        ]
    ),
)

FILTERS = {
    Initiative: InitiativeFilter,
    Organization: OrganizationFilter,
    Event: EventFilter,
}


@settings(FEW, max_examples=100)
@given(
    model=st.sampled_from(list(FILTERS)),
    params=st.dictionaries(
        st.sampled_from(
            sorted(
                {
                    *InitiativeFilter.base_filters,
                    *EventFilter.base_filters,
                    *OrganizationFilter.base_filters,
                }
            )
        ),
        st.lists(nasty_text, min_size=1, max_size=3),
        max_size=6,
    ),
)
def test_any_filter_values_give_results_or_field_errors(model, params):
    data = QueryDict(mutable=True)
    for key, values in params.items():
        data.setlist(key, values)
    filterset = FILTERS[model](data, queryset=model.objects.published())
    if filterset.is_valid():
        list(filterset.qs[:3])
    else:
        for field, messages in filterset.errors.items():
            assert messages and all(isinstance(m, str) and m for m in messages), field


@settings(FEW, max_examples=40)
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "near",
                "radius",
                "goal",
                "state",
                "sort",
                "updated_since",
                "page",
                "page_size",
                "lang",
            ]
        ),
        nasty_text,
        max_size=4,
    )
)
def test_any_query_to_the_api_is_json_and_never_a_500(client, params):
    response = client.get("/api/v1/initiatives/", params)
    assert response.status_code in (200, 400, 404), (params, response.status_code)
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert "results" in body if response.status_code == 200 else isinstance(body, dict)


@settings(FEW, max_examples=80)
@given(
    name=nasty_text,
    summary=nasty_text,
    description=nasty_text,
    website=nasty_text,
    email=nasty_text,
    postal_code=nasty_text,
    scope=st.sampled_from(["local", "state", "national", "online", "elsewhere"]),
)
def test_what_the_organization_form_accepts_is_stored_exactly(
    django_user_model, name, summary, description, website, email, postal_code, scope
):
    from directory.services.edit_forms import listing_edit_of
    from directory.services.membership import organization_register

    data = {
        "name": name,
        "summary": summary,
        "description": description,
        "website": website,
        "email": email,
        "postal_code": postal_code,
        "scope": scope,
    }
    form = OrganizationForm(data)
    if not form.is_valid():
        assert form.errors and all(isinstance(m, str) for ms in form.errors.values() for m in ms)
        return
    user, _ = django_user_model.objects.get_or_create(username="prop", email="prop@example.org")
    org = organization_register(by=user, edit=listing_edit_of(form))
    stored = Organization.objects.get(pk=org.pk)
    for field in ("name", "summary", "description", "email", "postal_code"):
        value = getattr(stored, field)
        assert value == form.cleaned_data[field], field  # nothing silently lost or changed
        assert validators.unsafe_character(value) is None, field
    assert "\n" not in stored.name and "\n" not in stored.summary
    assert stored.status == "pending"


@FEW
@given(text=st.text(max_size=60))
def test_text_the_validators_accept_round_trips_through_the_database(text):
    """On PostgreSQL too: whatever passes the validators can be stored and read back."""
    assume(validators.unsafe_character(text) is None)
    org = Organization.objects.create(
        name=text[:200], summary=text, slug=f"round-trip-{Organization.objects.count()}"
    )
    assert Organization.objects.values_list("summary", flat=True).get(pk=org.pk) == text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(nasty_text, children, max_size=3)
    ),
    max_leaves=8,
)


@FEW
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "title",
                "summary",
                "description",
                "website",
                "organization",
                "roles",
                "goals",
                "languages",
                "postal_code",
                "city",
                "state",
                "scope",
                "welcomes_newcomers",
                "get_involved",
                "starts_on",
                "ends_on",
                "status",
            ]
        ),
        json_values,
        max_size=8,
    )
)
def test_the_submission_serializer_validates_any_json(body):
    serializer = SubmissionSerializer(data=body)
    if serializer.is_valid():
        for name, value in serializer.validated_data.items():
            if isinstance(value, str):
                assert validators.unsafe_character(value) is None, name
    else:
        assert serializer.errors


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _nesting(value) -> int:
    """How many arrays and objects deep ``value`` goes (a scalar: 0)."""
    if isinstance(value, dict):
        return 1 + max(map(_nesting, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_nesting, value), default=0)
    return 0


#: What ``_reference`` answers for a body the API must refuse (``None`` is valid JSON).
REFUSED = object()


def _reference(raw: bytes):
    """What the parser should answer, worked out without it: the body's value, or ``REFUSED``
    for what is not storable JSON text (not UTF-8, not JSON, NaN or Infinity, an unpaired
    surrogate, nested deeper than ``MAX_DEPTH``)."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # a lone surrogate cannot be
    except (ValueError, RecursionError):  # decode, JSON and encode errors are ValueErrors
        return REFUSED
    return REFUSED if _nesting(value) > MAX_DEPTH else value


@FEW
@given(
    raw=st.one_of(
        st.binary(max_size=60),
        st.builds(lambda v: json.dumps(v).encode(), json_values),
        st.text(alphabet='[]{}"\\u0d8:,1 ', max_size=80).map(str.encode),
    )
)
@example(raw=b'{"title": ["caf\xc3\xa9", 1, null]}')
@example(raw=b'["\\ud800"]')  # an escaped unpaired surrogate
@example(raw=b"\xff\xfe")  # not UTF-8
@example(raw=b"NaN")
@example(raw=b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)  # as deep as allowed
@example(raw=b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))  # one level deeper
@example(raw=b"[" * 5000 + b"]" * 5000)  # deep enough to exhaust Python's recursion
def test_the_json_parser_returns_data_or_a_parse_error(raw):
    """It returns exactly the body's value when that is storable JSON, and answers a
    ``ParseError`` with a message (the API's 400) for everything else, never another error."""
    expected = _reference(raw)
    try:
        data = JSONParser().parse(io.BytesIO(raw), "application/json", {})
    except ParseError as error:
        assert expected is REFUSED, (raw, expected)
        assert str(error.detail)
        return
    assert expected is not REFUSED, (raw, data)
    assert data == expected and type(data) is type(expected)
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # storable: no lone surrogate in it


@FEW
@given(text=st.text(max_size=200))
def test_any_cursor_text_decodes_to_a_key_or_a_bad_cursor(text):
    try:
        key = Key.decode(text)
    except BadCursor:
        return
    assert key.type in TYPES and key.at.tzinfo is not None


@FEW
@given(
    at=st.datetimes(
        min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30), timezones=st.just(UTC)
    ),
    kind=st.sampled_from(sorted(TYPES)),
    ident=st.uuids(),
)
def test_cursors_the_feed_gives_out_decode_to_the_same_key(at, kind, ident):
    key = Key(at, kind, str(ident))
    assert Key.decode(key.encode()) == key


@FEW
@given(
    text=st.one_of(
        st.text(max_size=12),
        st.text(alphabet=st.characters(categories=["Nd"]), min_size=5, max_size=5),
    )
)
def test_zip_look_ups_never_crash(text):
    info = lookup_zip(text)
    assert info is None or (text.strip().isascii() and len(text.strip()) == 5)
    zone = zip_timezone(text)
    assert zone == "" or text.isascii()


@FEW
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.sampled_from(
            [
                "javascript:alert(1)",
                " https://ok.example",
                "https://ok.example/a b",
                "HTTPS://OK.EXAMPLE/",
                "java\tscript:x",
                "//evil.example",
                "data:text/html,x",
            ]
        ),
    )
)
def test_only_http_addresses_become_links(text):
    link = validators.http_url(text)
    assert link == "" or (
        link == text
        and link.lower().startswith(("http://", "https://"))
        and not any(c.isspace() or ord(c) < 32 for c in link)
    )
