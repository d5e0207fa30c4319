"""Listings: places from ZIP codes, database constraints, unique slugs, history."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.urls import NoReverseMatch

from directory.models import Initiative
from directory.search.geo import haversine_miles, lookup_zip
from tests.factories import InitiativeFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_a_zip_code_fills_city_state_county_and_coordinates():
    initiative = InitiativeFactory(postal_code="80302")
    assert (initiative.city, initiative.state, initiative.county) == (
        "Boulder",
        "CO",
        "Boulder County",
    )
    assert initiative.latitude == pytest.approx(40.0172)
    assert initiative.longitude == pytest.approx(-105.2851)


def test_an_unknown_zip_code_is_a_validation_error_with_a_clear_message():
    initiative = InitiativeFactory.build(postal_code="00000")
    with pytest.raises(ValidationError) as error:
        initiative.full_clean(exclude=["organization", "slug"])
    assert "not a known 5-digit U.S. ZIP code" in str(error.value.message_dict["postal_code"])


def test_zip_lookup_is_offline_and_rejects_malformed_codes():
    assert lookup_zip("60601").city == "Chicago"
    assert lookup_zip("6060") is None
    assert lookup_zip("abcde") is None
    boulder, denver = lookup_zip("80302"), lookup_zip("80202")
    miles = haversine_miles(boulder.latitude, boulder.longitude, denver.latitude, denver.longitude)
    assert 20 < miles < 30


def test_a_zip_code_is_looked_up_in_an_index_not_by_walking_the_table(monkeypatch):
    """``zipcodes.matching`` walks the whole table (about 0.8 ms a code); a ZIP code and its
    time zone come from an index built once, with the row ``matching`` gives first."""
    import zipcodes

    from directory.search import geo

    expected = zipcodes.matching("30301")[0]
    geo.lookup_zip.cache_clear()
    geo.zip_timezone.cache_clear()

    def walk(*args, **kwargs):
        raise AssertionError("the whole table was walked")

    monkeypatch.setattr(zipcodes, "matching", walk)
    place = lookup_zip("30301")
    assert (place.city, place.state, place.latitude, place.longitude) == (
        expected["city"],
        expected["state"],
        float(expected["lat"]),
        float(expected["long"]),
    )
    assert geo.zip_timezone("30301") == expected["timezone"] == "America/New_York"
    assert lookup_zip("00000") is None and geo.zip_timezone("00000") == ""


def test_an_end_date_before_the_start_is_rejected():
    from datetime import date

    initiative = InitiativeFactory.build(starts_on=date(2025, 5, 1), ends_on=date(2025, 4, 1))
    with pytest.raises(ValidationError) as error:
        initiative.full_clean(exclude=["organization", "slug"])
    assert "ends_on" in error.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("state", "ZZ"),
        ("latitude", 91.0),
        ("longitude", -181.0),
        ("status", "secret"),
        ("scope", "galactic"),
    ],
)
def test_the_database_refuses_invalid_values(field, value):
    initiative = InitiativeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Initiative.objects.filter(pk=initiative.pk).update(**{field: value})


def test_slugs_are_unique():
    InitiativeFactory(slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        InitiativeFactory(slug="same")


def test_publishing_sets_published_at():
    initiative = InitiativeFactory(status="pending", published_at=None)
    assert initiative.published_at is None
    initiative.status = "published"
    initiative.save()
    assert initiative.published_at is not None


def test_every_change_is_recorded_in_history_with_what_changed():
    org = OrganizationFactory(name="Before")
    org.name = "After"
    org.save()
    records = list(org.history.order_by("history_date"))
    assert [r.name for r in records] == ["Before", "After"]
    delta = records[1].diff_against(records[0])
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("name", "Before", "After")]


def test_history_can_restore_an_earlier_version():
    initiative = InitiativeFactory(title="Original title")
    initiative.title = "Vandalised"
    initiative.save()
    first = initiative.history.earliest("history_date")
    first.instance.save()
    initiative.refresh_from_db()
    assert initiative.title == "Original title"
    assert initiative.history.count() == 3


def test_renaming_an_organization_updates_the_search_for_its_initiatives(client):
    org = OrganizationFactory(name="Old Name Group")
    InitiativeFactory(organization=org, title="Summer forum")
    org.name = "Harbor Mediators"
    org.save()
    found = [i.title for i in client.get("/initiatives/?q=harbor").context["object_list"]]
    assert found == ["Summer forum"]


def test_detail_links_are_what_reverse_gives_under_any_prefix_and_language():
    from django.urls import reverse, set_script_prefix
    from django.utils import translation

    from directory.models.listings import detail_url

    initiative, org = InitiativeFactory(slug="porch-talks_2"), OrganizationFactory(slug="x")
    try:
        for prefix in ("/", "/directory/"):
            set_script_prefix(prefix)
            for language in ("en", "es"):
                with translation.override(language):
                    assert initiative.get_absolute_url() == reverse(
                        "directory:initiative-detail", args=["porch-talks_2"]
                    )
                    assert org.get_absolute_url() == reverse(
                        "directory:organization-detail", args=["x"]
                    )
            assert initiative.get_absolute_url().startswith(prefix)
    finally:
        set_script_prefix("/")
    with pytest.raises(NoReverseMatch):  # what is no slug fails as reverse() does
        detail_url("directory:initiative-detail", "not a slug")


def test_each_history_record_copies_the_listing_s_links_as_they_are():
    """``ListingHistory`` copies the links from plain rows: the same rows simple-history's own
    copy holds (each link's id and both its ends), and none of another listing's."""
    from goals.models import Goal
    from roles.models import Role

    roles = list(Role.objects.order_by("pk")[:2])
    goal = Goal.objects.order_by("pk").first()
    initiative = InitiativeFactory(roles=roles, goals=[goal])
    InitiativeFactory(organization=initiative.organization, roles=roles[:1])  # another's links
    initiative.summary = "Saved again: a new record."
    initiative.save()
    record = initiative.history.first()
    historical = type(record)
    links = Initiative.roles.through.objects.filter(initiative=initiative)
    copied = historical.roles.model.objects.filter(history=record)
    assert sorted(copied.values_list("id", "initiative_id", "role_id")) == sorted(
        links.values_list("id", "initiative_id", "role_id")
    )
    assert len(copied) == 2
    goals = historical.goals.model.objects.filter(history=record)
    assert list(goals.values_list("goal_id", flat=True)) == [goal.pk]
    assert not historical.languages.model.objects.filter(history=record).exists()


def test_the_database_measures_distances_as_the_python_formula_does():
    """``distance_expression`` (one expression over the two columns, written as Django's math
    functions would write it) gives the haversine distance on both databases, for the row's
    own columns and through a relation's."""
    from directory.search.geo import distance_expression

    places = ["80302", "80202", "60601", "99501", "96813", "33130"]
    boulder = OrganizationFactory(postal_code="80302")
    for code in places:
        InitiativeFactory(postal_code=code, title=f"At {code}", organization=boulder)
    for origin in ("94103", "02108"):
        here = lookup_zip(origin)
        rows = Initiative.objects.annotate(
            miles=distance_expression(here.latitude, here.longitude),
            via_organization=distance_expression(
                here.latitude,
                here.longitude,
                "organization__latitude",
                "organization__longitude",
            ),
        ).values_list("postal_code", "latitude", "longitude", "miles", "via_organization")
        assert len(rows) == len(places)
        for code, lat, lon, miles, via_organization in rows:
            expected = haversine_miles(here.latitude, here.longitude, lat, lon)
            assert miles == pytest.approx(expected, rel=1e-9), code
            assert expected > 100  # far apart: a formula that ignored a column would differ
            assert via_organization == pytest.approx(
                haversine_miles(here.latitude, here.longitude, boulder.latitude, boulder.longitude),
                rel=1e-9,
            )
    # Columns that compile with parameters of their own (annotations), and the distance as a
    # filter: the parameters stay in their places.
    here = lookup_zip("80202")
    shifted = Initiative.objects.annotate(
        lat=F("latitude") + Value(0.0), lon=F("longitude") - Value(0.0)
    ).annotate(miles=distance_expression(here.latitude, here.longitude, "lat", "lon"))
    within = shifted.filter(miles__lte=60).order_by("miles")
    assert list(within.values_list("postal_code", flat=True)) == ["80202", "80302"]
    for code, lat, lon, miles in shifted.values_list(
        "postal_code", "latitude", "longitude", "miles"
    ):
        assert miles == pytest.approx(
            haversine_miles(here.latitude, here.longitude, lat, lon), rel=1e-9, abs=1e-9
        ), code
