"""The HSDS 3.0 read API (``/api/hsds/``): published listings as Open Referral documents.

Read-only, with the rate limits and API keys of ``/api/v1/`` (the project's default throttle).
Endpoints, paging (``page``, ``per_page``; the ``Page`` header fields plus ``contents``) and
filters follow the HSDS 3.0 API reference; ``/locations`` is our addition. docs/hsds.md.
"""

import json
import math
import uuid
from datetime import UTC, datetime, time

from django.conf import settings
from django.db.models import IntegerField, Prefetch, Q, Value
from django.http import StreamingHttpResponse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from directory.hsds import mapping
from directory.models import Event, Initiative, Organization
from directory.search.geo import lookup_zip
from goals.models import Goal
from roles.models import Role, RoleGroup

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_SEARCH = 200
MAX_PROXIMITY_METERS = 804_672  # 500 miles, the widest radius /api/v1/ allows
METERS_PER_MILE = 1609.344
TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}


class IgnoreFormatParameter(DefaultContentNegotiation):
    """Always JSON: HSDS's ``format`` parameter is read by the views, not by DRF."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class HSDSView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = IgnoreFormatParameter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # As in /api/v1/ (mpdb/middleware.py): in the API an unknown language is a 400.
        lang = request.query_params.get("lang", "")
        if lang and lang not in dict(settings.LANGUAGES):
            raise ValidationError(
                {
                    "lang": [
                        _("Unknown language. Use one of: %(codes)s.")
                        % {"codes": ", ".join(sorted(dict(settings.LANGUAGES)))}
                    ]
                }
            )

    # --- parameters ---

    def text(self, name: str, max_length: int = MAX_SEARCH) -> str:
        value = self.request.query_params.get(name, "").strip()
        if len(value) > max_length or "\x00" in value:
            raise ValidationError(
                {name: [_("Use at most %(max)s characters.") % {"max": max_length}]}
            )
        return value

    def flag(self, name: str) -> bool:
        value = self.request.query_params.get(name, "").strip().lower()
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        raise ValidationError({name: [_("Use true or false.")]})

    def uuid_param(self, name: str) -> str:
        value = self.text(name)
        if not value:
            return ""
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValidationError({name: [_("Use an HSDS id (a UUID).")]}) from None

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.request.query_params.get(name, "").strip()
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise ValidationError(
                {
                    name: [
                        _("Use a whole number from %(low)s to %(high)s.")
                        % {"low": low, "high": high}
                    ]
                }
            )
        return value

    def modified_after(self) -> datetime | None:
        raw = self.text("modified_after", 64)
        if not raw:
            return None
        try:
            moment = parse_datetime(raw)
            if moment is None:
                day = parse_date(raw)
                moment = datetime.combine(day, time.min) if day else None
            if moment is not None:
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                moment = moment.astimezone(UTC)
        except (ValueError, OverflowError):
            moment = None
        if moment is None:
            raise ValidationError(
                {"modified_after": [_("Use a date and time, e.g. 2025-01-31T12:00:00Z.")]}
            )
        return moment

    def output_format(self) -> str:
        value = self.text("format", 10).lower() or "json"
        if value not in ("json", "ndjson"):
            raise ValidationError({"format": [_("Use json or ndjson.")]})
        return value

    # --- answers ---

    @property
    def base(self) -> str:
        return self.request.build_absolute_uri("/")

    def page(self, items, to_document) -> Response | StreamingHttpResponse:
        """One page of ``items`` (a queryset or list) as an HSDS ``Page``, or all as NDJSON."""
        number = self.integer("page", 1, 1, 10**6)
        size = self.integer("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        if self.output_format() == "ndjson":  # every result: page and per_page only checked
            return self.stream(items, to_document)
        total = len(items) if isinstance(items, list) else items.count()
        start = (number - 1) * size
        rows = list(items[start : start + size])
        total_pages = math.ceil(total / size)
        return Response(
            {
                "total_items": total,
                "total_pages": total_pages,
                "page_number": number,
                "size": len(rows),
                "first_page": number == 1,
                "last_page": number >= total_pages,
                "empty": not rows,
                "contents": [to_document(row) for row in rows],
            }
        )

    def stream(self, items, to_document) -> StreamingHttpResponse:
        rows = items.iterator(chunk_size=200) if hasattr(items, "iterator") else iter(items)
        lines = (json.dumps(to_document(row), ensure_ascii=False) + "\n" for row in rows)
        return StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")

    def detail(self, queryset, id_value: str):
        try:
            key = uuid.UUID(id_value)
        except ValueError:
            raise NotFound(_("No published object has this id.")) from None
        found = queryset.filter(uuid=key).first()
        if found is None:
            raise NotFound(_("No published object has this id."))
        return found


# --- querysets ---------------------------------------------------------------------------


def _events():
    return Prefetch(
        "events",
        queryset=Event.objects.published().order_by("starts_at", "uuid"),
        to_attr="hsds_events",
    )


def services(full: bool = False):
    qs = Initiative.objects.published().select_related("organization")
    if full:
        qs = qs.prefetch_related(
            Prefetch("roles", queryset=Role.objects.select_related("group")),
            "goals",
            "languages",
            "sources",
            _events(),
        )
    return qs.order_by("updated_at", "uuid")


def organizations(full: bool = False, full_service: bool = False):
    qs = Organization.objects.published()
    if full or full_service:
        qs = qs.prefetch_related(
            Prefetch("roles", queryset=Role.objects.select_related("group")), "goals", "sources"
        )
    if full_service:
        qs = qs.prefetch_related(
            Prefetch(
                "initiatives",
                queryset=services(full=True).order_by("title", "uuid"),
                to_attr="hsds_services",
            )
        )
    return qs.order_by("updated_at", "uuid")


def _located(qs):
    """What ``mapping.has_place`` says has a place, in SQL."""
    return qs.filter(
        Q(postal_code__gt="") | Q(city__gt="") | Q(state__gt="") | Q(latitude__isnull=False)
    )


# --- OpenAPI ------------------------------------------------------------------------------

PAGE_PARAMETERS = [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": 10**6},
        description="Page number, from 1.",
    ),
    OpenApiParameter(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        description=f"Results per page (default {DEFAULT_PER_PAGE}).",
    ),
    OpenApiParameter(
        "format",
        str,
        enum=["json", "ndjson"],
        description="`ndjson` streams every result, one JSON document a line.",
    ),
    OpenApiParameter(
        "search", {"type": "string", "maxLength": MAX_SEARCH}, description="Full-text search."
    ),
]
SYNC_PARAMETERS = [
    OpenApiParameter(
        "modified_after",
        OpenApiTypes.DATETIME,
        description="Only what changed on or after this moment (a date means its midnight UTC).",
    ),
]
ID_FORMAT = {"type": "string", "format": "uuid"}
SERVICE_FILTERS = [
    OpenApiParameter(
        "taxonomy_term_id",
        ID_FORMAT,
        description="Classified with this goal or role term (a role group's term "
        "takes in its roles).",
    ),
    OpenApiParameter(
        "taxonomy_id", ID_FORMAT, description="Classified with any term of this taxonomy."
    ),
    OpenApiParameter("organization_id", ID_FORMAT, description="Of this organization."),
]
ID_PATH = [OpenApiParameter("id", ID_FORMAT, OpenApiParameter.PATH, description="The HSDS id.")]


def _object(required: list[str], **properties) -> dict:
    return {
        "type": "object",
        "required": required,
        "properties": {"id": ID_FORMAT, **properties},
    }


STRING = {"type": "string"}
ORGANIZATION = _object(["id", "name", "description"], name=STRING, description=STRING)
SERVICE = _object(
    ["id", "name", "status"],
    name=STRING,
    status={"type": "string", "enum": ["active", "inactive", "defunct", "temporarily closed"]},
)
LOCATION = _object(["id", "location_type"], location_type={"type": "string", "enum": ["physical"]})
SERVICE_AT_LOCATION = _object(["id"], service_id=ID_FORMAT, location_id=ID_FORMAT)
TAXONOMY = _object(["id", "name", "description"], name=STRING, description=STRING)
TAXONOMY_TERM = _object(["id", "name", "description"], name=STRING, taxonomy_id=ID_FORMAT)


def _page_of(item: dict) -> dict:
    integer, boolean = {"type": "integer"}, {"type": "boolean"}
    return {
        "type": "object",
        "required": [
            "total_items",
            "total_pages",
            "page_number",
            "size",
            "first_page",
            "last_page",
            "empty",
            "contents",
        ],
        "properties": {
            "total_items": integer,
            "total_pages": integer,
            "page_number": integer,
            "size": integer,
            "first_page": boolean,
            "last_page": boolean,
            "empty": boolean,
            "contents": {"type": "array", "items": item},
        },
    }


def _list_responses(item: dict) -> dict:
    return {
        (200, "application/json"): _page_of(item),
        (200, "application/x-ndjson"): OpenApiTypes.STR,
    }


TAG = ["hsds"]


# --- endpoints ----------------------------------------------------------------------------


class RootView(HSDSView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: about this API",
        operation_id="hsds_root",
        responses={
            200: {
                "type": "object",
                "required": ["version", "profile", "openapi_url"],
                "properties": {"version": STRING, "profile": STRING, "openapi_url": STRING},
            }
        },
    )
    def get(self, request):
        return Response(
            {
                "version": mapping.HSDS_VERSION,
                "profile": mapping.SPEC_URL,
                "openapi_url": request.build_absolute_uri("/api/schema/"),
            }
        )


class OrganizationListView(HSDSView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: organizations",
        operation_id="hsds_organizations_list",
        parameters=[
            *PAGE_PARAMETERS,
            *SYNC_PARAMETERS,
            OpenApiParameter("full", bool, description="Each with its related records."),
            OpenApiParameter(
                "full_service", bool, description="Each with its services, fully nested."
            ),
        ],
        responses=_list_responses(ORGANIZATION),
    )
    def get(self, request):
        full, full_service = self.flag("full"), self.flag("full_service")
        qs = organizations(full, full_service)
        if since := self.modified_after():
            qs = qs.filter(updated_at__gte=since)
        if text := self.text("search"):
            qs = qs.search(text)
        return self.page(qs, lambda org: self.document(org, full, full_service))

    def document(self, org, full: bool, full_service: bool) -> dict:
        return mapping.organization_document(
            org,
            self.base,
            full=full or full_service,
            services=getattr(org, "hsds_services", None) if full_service else None,
        )


class OrganizationDetailView(OrganizationListView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: one organization, with its related records",
        operation_id="hsds_organizations_retrieve",
        parameters=[
            *ID_PATH,
            OpenApiParameter("full_service", bool, description="With its services, fully nested."),
        ],
        responses={200: ORGANIZATION},
    )
    def get(self, request, id):
        full_service = self.flag("full_service")
        org = self.detail(organizations(True, full_service), id)
        return Response(self.document(org, True, full_service))


def filter_services(view: HSDSView, qs, prefix: str = ""):
    """The HSDS service filters, for services (or, with a prefix, what links to them)."""
    if since := view.modified_after():
        # Its events are its schedules: a changed event is a changed service document.
        qs = qs.filter(
            Q(**{f"{prefix}updated_at__gte": since})
            | Q(**{f"{prefix}events__updated_at__gte": since})
        ).distinct()
    if organization_id := view.uuid_param("organization_id"):
        qs = qs.filter(**{f"{prefix}organization__uuid": organization_id})
    if term_id := view.uuid_param("taxonomy_term_id"):
        goals = [g.pk for g in Goal.objects.all() if mapping.goal_term_id(g.slug) == term_id]
        roles = [
            r.pk
            for r in Role.objects.select_related("group")
            if term_id in (mapping.role_term_id(r.slug), mapping.group_term_id(r.group.slug))
        ]
        qs = qs.filter(
            Q(**{f"{prefix}goals__in": goals}) | Q(**{f"{prefix}roles__in": roles})
        ).distinct()
    if taxonomy_id := view.uuid_param("taxonomy_id"):
        if taxonomy_id == mapping.GOALS_TAXONOMY_ID:
            qs = qs.filter(**{f"{prefix}goals__isnull": False}).distinct()
        elif taxonomy_id == mapping.ROLES_TAXONOMY_ID:
            qs = qs.filter(**{f"{prefix}roles__isnull": False}).distinct()
        else:
            qs = qs.none()
    if text := view.text("search"):
        qs = qs.search(text)
    return qs


class ServiceListView(HSDSView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: services (our initiatives)",
        operation_id="hsds_services_list",
        parameters=[
            *PAGE_PARAMETERS,
            *SYNC_PARAMETERS,
            *SERVICE_FILTERS,
            OpenApiParameter("full", bool, description="Each fully nested."),
            OpenApiParameter("minimal", bool, description="Only `id` and `last_modified` of each."),
        ],
        # With minimal=true an item is only its id and last_modified.
        responses=_list_responses(
            {
                **SERVICE,
                "required": ["id"],
                "properties": {**SERVICE["properties"], "last_modified": STRING},
            }
        ),
    )
    def get(self, request):
        full, minimal = self.flag("full"), self.flag("minimal")
        qs = filter_services(self, services(full and not minimal))
        if minimal:
            return self.page(
                qs, lambda s: {"id": str(s.uuid), "last_modified": mapping._iso(s.updated_at)}
            )
        return self.page(qs, lambda s: mapping.service_document(s, self.base, full=full))


class ServiceDetailView(HSDSView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: one service, fully nested",
        operation_id="hsds_services_retrieve",
        parameters=ID_PATH,
        responses={200: SERVICE},
    )
    def get(self, request, id):
        return Response(
            mapping.service_document(self.detail(services(True), id), self.base, full=True)
        )


class ServiceAtLocationListView(HSDSView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: services at their locations",
        operation_id="hsds_service_at_locations_list",
        parameters=[
            *PAGE_PARAMETERS,
            *SYNC_PARAMETERS,
            *SERVICE_FILTERS,
            OpenApiParameter("full", bool, description="Each with its service fully nested."),
            OpenApiParameter(
                "postcode",
                {"type": "string", "pattern": "^[0-9]{5}$"},
                description="A 5-digit ZIP code: services there (or, with `proximity`, near it).",
            ),
            OpenApiParameter(
                "proximity",
                {"type": "number", "minimum": 1, "maximum": MAX_PROXIMITY_METERS},
                description="Meters from the centre of `postcode`.",
            ),
        ],
        responses=_list_responses(SERVICE_AT_LOCATION),
    )
    def get(self, request):
        full = self.flag("full")
        qs = filter_services(self, _located(services(full)))
        postcode, proximity = self.text("postcode", 10), self.text("proximity", 20)
        if proximity and not postcode:
            raise ValidationError({"proximity": [_("Give a postcode with it.")]})
        if postcode:
            place = lookup_zip(postcode)
            if place is None:
                raise ValidationError({"postcode": [_("Use a known 5-digit U.S. ZIP code.")]})
            if proximity:
                try:
                    meters = float(proximity)
                except ValueError:
                    meters = -1
                if not 1 <= meters <= MAX_PROXIMITY_METERS:
                    raise ValidationError(
                        {
                            "proximity": [
                                _("Use a distance in meters, up to %(max)s.")
                                % {"max": MAX_PROXIMITY_METERS}
                            ]
                        }
                    )
                qs = qs.near(place, meters / METERS_PER_MILE)
            else:
                qs = qs.filter(postal_code=postcode)
        return self.page(qs, lambda s: self.document(s, full))

    def document(self, initiative, full: bool) -> dict:
        document = mapping.service_at_location_document(initiative, self.base)
        if full:
            document["service"] = mapping.service_document(initiative, self.base, full=True)
        return document


class ServiceAtLocationDetailView(ServiceAtLocationListView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: one service at its location",
        operation_id="hsds_service_at_locations_retrieve",
        parameters=ID_PATH,
        responses={200: SERVICE_AT_LOCATION},
    )
    def get(self, request, id):
        initiative = self.detail(_located(services(True)), id)
        return Response(self.document(initiative, True))


class Located:
    """The places of organizations and of initiatives as one list, by last change then id:
    the database orders and slices the two tables together (a UNION of their keys)."""

    def __init__(self, organizations_qs, initiatives_qs):
        self.parts = (organizations_qs, initiatives_qs)

    def _keys(self):
        orgs, initiatives = (
            qs.order_by().values_list(
                "updated_at", "uuid", Value(kind, output_field=IntegerField())
            )
            for kind, qs in enumerate(self.parts)
        )
        return orgs.union(initiatives, all=True).order_by("updated_at", "uuid")

    def count(self) -> int:
        return sum(qs.count() for qs in self.parts)

    def __getitem__(self, window: slice) -> list:
        keys = list(self._keys()[window])
        found = {}
        for kind, qs in enumerate(self.parts):
            wanted = [key for _at, key, k in keys if k == kind]
            if wanted:
                found.update({(kind, o.uuid): o for o in qs.filter(uuid__in=wanted)})
        return [found[(kind, key)] for _at, key, kind in keys if (kind, key) in found]

    def iterator(self, chunk_size: int = 200):
        for qs in self.parts:
            yield from qs.iterator(chunk_size=chunk_size)


class LocationListView(HSDSView):
    """Not in the HSDS 3.0 API reference: the places of organizations and services."""

    @extend_schema(
        tags=TAG,
        summary="HSDS: locations (our addition to the HSDS API)",
        operation_id="hsds_locations_list",
        parameters=[*PAGE_PARAMETERS, *SYNC_PARAMETERS],
        responses=_list_responses(LOCATION),
    )
    def get(self, request):
        since, text = self.modified_after(), self.text("search")
        parts = []
        for qs in (_located(organizations()), _located(services())):
            if since:
                qs = qs.filter(updated_at__gte=since)
            if text:
                qs = qs.search(text)
            parts.append(qs)
        return self.page(Located(*parts), self.document)

    def document(self, listing) -> dict:
        org = listing if isinstance(listing, Organization) else listing.organization
        return mapping.location_of(listing, str(org.uuid))


class LocationDetailView(LocationListView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: one location (our addition to the HSDS API)",
        operation_id="hsds_locations_retrieve",
        parameters=ID_PATH,
        responses={200: LOCATION},
    )
    def get(self, request, id):
        try:
            return Response(self.document(self.detail(_located(organizations()), id)))
        except NotFound:
            return Response(self.document(self.detail(_located(services()), id)))


class TaxonomyListView(HSDSView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: taxonomies (our goals and roles)",
        operation_id="hsds_taxonomies_list",
        parameters=PAGE_PARAMETERS,
        responses=_list_responses(TAXONOMY),
    )
    def get(self, request):
        text = self.text("search").lower()
        found = [
            t
            for t in mapping.taxonomies(self.base)
            if not text or text in t["name"].lower() or text in t["description"].lower()
        ]
        return self.page(found, lambda t: t)


class TaxonomyDetailView(HSDSView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: one taxonomy",
        operation_id="hsds_taxonomies_retrieve",
        parameters=ID_PATH,
        responses={200: TAXONOMY},
    )
    def get(self, request, id):
        for taxonomy in mapping.taxonomies(self.base):
            if taxonomy["id"] == id.lower():
                return Response(taxonomy)
        raise NotFound(_("No published object has this id."))


def all_terms(base: str) -> list[dict]:
    """Goals, then role groups (parents) and roles, as HSDS taxonomy terms."""
    terms = [mapping.goal_term(goal, base) for goal in Goal.objects.all()]
    terms += [mapping.group_term(group, base) for group in RoleGroup.objects.all()]
    terms += [mapping.role_term(role, base) for role in Role.objects.select_related("group")]
    return terms


class TaxonomyTermListView(HSDSView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: taxonomy terms (goals, role groups and roles)",
        operation_id="hsds_taxonomy_terms_list",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("taxonomy_id", ID_FORMAT, description="Terms of this taxonomy."),
            OpenApiParameter("top_only", bool, description="Only terms without a parent."),
            OpenApiParameter("parent_id", ID_FORMAT, description="Only the children of this term."),
        ],
        responses=_list_responses(TAXONOMY_TERM),
    )
    def get(self, request):
        taxonomy_id, parent_id = self.uuid_param("taxonomy_id"), self.uuid_param("parent_id")
        top_only, text = self.flag("top_only"), self.text("search").lower()
        found = [
            term
            for term in all_terms(self.base)
            if (not taxonomy_id or term["taxonomy_id"] == taxonomy_id)
            and (not parent_id or term.get("parent_id") == parent_id)
            and (not top_only or "parent_id" not in term)
            and (not text or any(text in term[k].lower() for k in ("name", "code", "description")))
        ]
        return self.page(found, lambda t: t)


class TaxonomyTermDetailView(HSDSView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: one taxonomy term",
        operation_id="hsds_taxonomy_terms_retrieve",
        parameters=ID_PATH,
        responses={200: TAXONOMY_TERM},
    )
    def get(self, request, id):
        for term in all_terms(self.base):
            if term["id"] == id.lower():
                return Response(term)
        raise NotFound(_("No published object has this id."))
