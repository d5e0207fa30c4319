"""The public shape of listings (ARCHITECTURE.md, "JSON API"). Partners depend on it."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from directory.api.lookups import SLUG_RE
from directory.models import (
    Event,
    Fact,
    Initiative,
    Language,
    Organization,
    Scope,
    SourceRecord,
    Status,
)
from directory.search.geo import US_STATES
from directory.validators import CleanTextSerializerMixin
from goals.models import Goal
from goals.serializers import GoalRefSerializer
from roles.models import Role
from roles.serializers import RoleRefSerializer

# ASCII digits: ``\d`` would also accept other scripts' digits (see geo.ZIP_RE). A ZIP+4
# ("80302-1234") is accepted and stored as its 5-digit ZIP code (``known_zip``).
ZIP_PATTERN = r"^[0-9]{5}(-[0-9]{4})?$"


class LocationSerializer(serializers.Serializer):
    city = serializers.CharField()
    state = serializers.CharField()
    postal_code = serializers.CharField()
    county = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    slug = serializers.SlugField()
    name = serializers.CharField()


class SourceSerializer(serializers.ModelSerializer):
    """A public page where the listing's facts were seen (docs/data.md)."""

    supports = serializers.ListField(
        child=serializers.ChoiceField(choices=Fact.values),
        help_text="Which of the listing's facts the page states.",
    )

    class Meta:
        model = SourceRecord
        fields = ["url", "title", "publisher", "seen_on", "supports"]


class ListingSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    url = serializers.SerializerMethodField()
    roles = RoleRefSerializer(many=True, read_only=True)
    goals = GoalRefSerializer(many=True, read_only=True)
    languages = serializers.SlugRelatedField(
        many=True,
        read_only=True,
        slug_field="code",
        help_text="ISO 639-1 codes of the languages it serves people in (empty: not stated).",
    )
    location = serializers.SerializerMethodField()
    distance_miles = serializers.SerializerMethodField()
    sources = SourceSerializer(many=True, read_only=True)

    common_fields = [
        "id",
        "slug",
        "url",
        "summary",
        "description",
        "website",
        "roles",
        "goals",
        "languages",
        "location",
        "scope",
        "source",
        "classified_by",
        "sources",
        "is_demo",
        "published_at",
        "last_verified_at",
        "created_at",
        "updated_at",
        "distance_miles",
    ]

    def get_url(self, obj) -> str:
        """The listing's public HTML page."""
        return self.context["request"].build_absolute_uri(obj.get_absolute_url())

    @extend_schema_field(LocationSerializer)
    def get_location(self, obj) -> dict:
        return {
            "city": obj.city,
            "state": obj.state,
            "postal_code": obj.postal_code,
            "county": obj.county,
            "latitude": obj.latitude,
            "longitude": obj.longitude,
        }

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_miles(self, obj) -> float | None:
        """Miles from the `near` ZIP code; null without `near` or for national/online work."""
        distance = getattr(obj, "distance", None)
        return None if distance is None else round(distance, 1)


class InitiativeSerializer(ListingSerializer):
    organization = OrganizationRefSerializer(read_only=True)

    class Meta:
        model = Initiative
        fields = [
            *ListingSerializer.common_fields[:3],
            "title",
            "organization",
            *ListingSerializer.common_fields[3:],
            "welcomes_newcomers",
            "get_involved",
            "get_involved_url",
            "starts_on",
            "ends_on",
        ]


class OrganizationSerializer(ListingSerializer):
    networks = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            *ListingSerializer.common_fields[:3],
            "name",
            "email",
            "founded_year",
            "is_network",
            "cross_partisan",
            *ListingSerializer.common_fields[3:],
            "networks",
        ]

    @extend_schema_field(OrganizationRefSerializer(many=True))
    def get_networks(self, obj) -> list[dict]:
        """Published networks and coalitions this organization belongs to."""
        return OrganizationRefSerializer(obj.published_networks, many=True).data


class EventSerializer(ListingSerializer):
    organization = OrganizationRefSerializer(read_only=True)
    initiative = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            *ListingSerializer.common_fields[:3],
            "title",
            "organization",
            "initiative",
            *Event.WHEN_FIELDS,
            "mode",
            *Event.ATTENDING_FIELDS,
            *ListingSerializer.common_fields[3:],
        ]

    @extend_schema_field(OrganizationRefSerializer(allow_null=True))
    def get_initiative(self, obj) -> dict | None:
        """The initiative the event belongs to, if it is published."""
        initiative = obj.initiative
        if initiative is None or initiative.status != Status.PUBLISHED:
            return None
        return {"id": initiative.uuid, "slug": initiative.slug, "name": initiative.title}


class ChangeItemSerializer(serializers.Serializer):
    """An upsert (`changed_at` and `object`) or a tombstone (`removed_at`)."""

    type = serializers.ChoiceField(choices=["initiative", "organization", "event"])
    id = serializers.UUIDField()
    changed_at = serializers.DateTimeField(required=False, help_text="Set on upserts.")
    object = serializers.DictField(
        required=False, help_text="The whole object, as the list endpoints give it."
    )
    removed_at = serializers.DateTimeField(required=False, help_text="Set on tombstones.")


class ChangePageSerializer(serializers.Serializer):
    results = ChangeItemSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    next = serializers.URLField(allow_null=True)


def known_zip(value: str) -> str:
    from directory.search.geo import five_digit_zip, lookup_zip

    value = five_digit_zip(value)
    if value and lookup_zip(value) is None:
        raise serializers.ValidationError(
            _("“%(zip)s” is not a known U.S. ZIP code.") % {"zip": value}
        )
    return value


class TermSlugField(serializers.SlugRelatedField):
    """A taxonomy term or language by its slug. Anything that is not a plain slug is "not found"
    without asking the database (PostgreSQL answers a NUL in a query with an error)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not SLUG_RE.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:100])
        return super().to_internal_value(data)


class SubmittedOrganizationSerializer(CleanTextSerializerMixin, serializers.Serializer):
    """Either an existing published organization (`id`) or a new one (`name` and `summary`)."""

    id = serializers.UUIDField(required=False)
    name = serializers.CharField(required=False, max_length=200)
    summary = serializers.CharField(required=False, max_length=280)
    website = serializers.URLField(required=False, allow_blank=True, max_length=500)
    email = serializers.EmailField(required=False, allow_blank=True)
    postal_code = serializers.RegexField(
        ZIP_PATTERN,
        required=False,
        allow_blank=True,
        error_messages={"invalid": _("Enter a 5-digit ZIP code.")},
    )
    scope = serializers.ChoiceField(choices=Scope.choices, required=False)

    def validate_postal_code(self, value):
        return known_zip(value)

    def validate(self, data):
        if data.get("id"):
            try:
                data["instance"] = Organization.objects.published().get(uuid=data["id"])
            except Organization.DoesNotExist:
                raise serializers.ValidationError(
                    {"id": _("No published organization has this id.")}
                ) from None
            return data
        missing = [f for f in ("name", "summary") if not data.get(f)]
        if missing:
            raise serializers.ValidationError(
                dict.fromkeys(
                    missing,
                    _("Required for a new organization (or give the `id` of a listed one)."),
                )
            )
        return data


class SubmissionSerializer(CleanTextSerializerMixin, serializers.Serializer):
    """A partner's proposed initiative. It is always saved as `pending` for curators.

    Only the fields below are read: ``status``, ``source``, ``published_at``, ids and anything
    else in the body are ignored (no mass assignment).
    """

    multiline_fields = ("description", "get_involved")

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=280)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    website = serializers.URLField(required=False, allow_blank=True, max_length=500)
    organization = SubmittedOrganizationSerializer()
    roles = TermSlugField(many=True, slug_field="slug", queryset=Role.objects.all(), required=False)
    goals = TermSlugField(many=True, slug_field="slug", queryset=Goal.objects.all(), required=False)
    languages = TermSlugField(
        many=True,
        slug_field="code",
        queryset=Language.objects.all(),
        required=False,
        help_text='ISO 639-1 codes, e.g. ["en", "es"].',
    )
    postal_code = serializers.RegexField(
        ZIP_PATTERN,
        required=False,
        allow_blank=True,
        error_messages={"invalid": _("Enter a 5-digit ZIP code.")},
    )
    city = serializers.CharField(required=False, allow_blank=True, max_length=100)
    state = serializers.ChoiceField(choices=sorted(US_STATES), required=False, allow_blank=True)
    scope = serializers.ChoiceField(choices=Scope.choices, default=Scope.LOCAL)
    welcomes_newcomers = serializers.BooleanField(default=False)
    get_involved = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    get_involved_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)

    def validate_postal_code(self, value):
        return known_zip(value)

    def validate(self, data):
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise serializers.ValidationError({"ends_on": _("The end date is before the start.")})
        if data.get("scope") in (Scope.LOCAL, Scope.STATE, Scope.REGIONAL) and not (
            data.get("postal_code") or data.get("state")
        ):
            raise serializers.ValidationError(
                {"postal_code": _("Local, state and regional work needs a ZIP code or a state.")}
            )
        return data


class SubmissionResultSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    status = serializers.CharField()
    organization = OrganizationRefSerializer()
