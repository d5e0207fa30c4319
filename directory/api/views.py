"""Read endpoints, the change feed and partner submissions (``/api/v1/``)."""

import uuid
from datetime import datetime

from django.db.models import Prefetch
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from directory.api.changes import EPOCH, BadCursor, Key, changes
from directory.api.exports import copycsv
from directory.api.exports.fastrows import fast_rows, supports
from directory.api.exports.streams import csv_response, export_response, serialized_rows
from directory.api.serializers import (
    ChangePageSerializer,
    EventSerializer,
    InitiativeSerializer,
    OrganizationSerializer,
    SubmissionResultSerializer,
    SubmissionSerializer,
)
from directory.api.throttles import SubmissionThrottle, api_key_of
from directory.caching import cached, request_parts
from directory.models import Event, Initiative, Organization
from directory.search.filters import EventFilter, InitiativeFilter, OrganizationFilter
from directory.search.pagination import COUNT_CAP, CappedPaginator
from directory.services.listings import initiative_submit

MAX_CHANGES = 500


class RememberingFilterBackend(DjangoFilterBackend):
    """django-filter's backend, keeping the FilterSet on the view (to report how it sorted)."""

    def get_filterset(self, request, queryset, view):
        view.filterset = super().get_filterset(request, queryset, view)
        return view.filterset


class StandardPagination(PageNumberPagination):
    """Pages of 20 (1–100). ``count`` is exact up to 10,000 rows; beyond, it is 10,000 with
    ``count_capped: true`` and pages stop there (use ``?format=csv`` or the change feed)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "count_capped": self.page.paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["properties"] = {
            "count": result["properties"]["count"],
            "count_capped": {
                "type": "boolean",
                "description": f"True when more than {COUNT_CAP:,} rows match (count stops there).",
            },
            **{k: v for k, v in result["properties"].items() if k != "count"},
        }
        result["required"] = [*result.get("required", []), "count_capped"]
        return result

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    "page_size": [
                        _("Choose a page size from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size


class CSVRenderer(BaseRenderer):
    """Declares ``?format=csv``; list views stream the rows themselves (see exports.py)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)  # only errors reach here


class GeoJSONRenderer(CSVRenderer):
    media_type = "application/geo+json"
    format = "geojson"


EXPORT_FORMATS = ("csv", "geojson")
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv", "geojson"],
    description="`csv` or `geojson` stream every matching row (no pagination).",
)
ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors: {field: [messages]}")
}
FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"type": "object"}},
    },
}


def list_responses(serializer_class) -> dict:
    """JSON pages, or every matching row as CSV or GeoJSON (``?format=``)."""
    return {
        (200, "application/json"): serializer_class(many=True),
        (200, "text/csv"): OpenApiTypes.STR,
        (200, "application/geo+json"): FEATURE_COLLECTION,
        (400, "application/json"): ERRORS[400],
    }


#: headers a cached API answer keeps (the rest are set again on every response)
CACHED_HEADERS = ("Last-Modified", "X-Relevance-Ranking")


class ListingViewSet(viewsets.ReadOnlyModelViewSet):
    """Shared behaviour: UUID look-ups, the HTML FilterSets, streaming exports, JSON errors."""

    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"  # any id reaches the view, so a bad one gets a JSON 404
    pagination_class = StandardPagination
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, GeoJSONRenderer]
    filter_backends = [RememberingFilterBackend]
    export_name = ""
    #: cache JSON answers (caching.py); off where the answer also depends on the clock
    cache_responses = True

    def get_renderers(self):
        if self.action == "retrieve":  # exports are for lists only
            return [JSONRenderer(), BrowsableAPIRenderer()]
        return super().get_renderers()

    def handle_exception(self, exc):
        # Errors are always JSON, whatever format was asked for.
        response = super().handle_exception(exc)
        if (
            getattr(self.request, "accepted_renderer", None)
            and self.request.accepted_renderer.format in EXPORT_FORMATS
        ):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def _cached(self, request, respond):
        """``respond()``'s JSON answer, cached under the request and the data version.

        Only plain JSON GETs of lists and details whose content depends on nothing but the data:
        the key holds the host and scheme (links are absolute), path, query, format and
        language, and any change to a listing makes every entry unreachable (caching.py).
        Throttles and permissions have run before this, so limits still count every request.
        """
        if not self.cache_responses or request.accepted_renderer.format != "json":
            return respond()
        parts = request_parts(request)

        def compute():
            response = respond()
            headers = {k: v for k, v in response.items() if k in CACHED_HEADERS}
            return response.status_code, response.data, headers

        status_code, data, headers = cached("api", parts, compute)
        return Response(data, status=status_code, headers=headers)

    def list(self, request, *args, **kwargs):
        fmt = request.accepted_renderer.format
        if fmt not in EXPORT_FORMATS:
            return self._cached(request, lambda: self._list(request, *args, **kwargs))
        return self._list(request, *args, **kwargs)

    def _list(self, request, *args, **kwargs):
        fmt = request.accepted_renderer.format
        if fmt in EXPORT_FORMATS:
            queryset = self.filter_queryset(self.get_queryset())
            serializer_class = self.get_serializer_class()
            if copycsv.supports(queryset, serializer_class, fmt):
                stream = copycsv.csv_stream(queryset, serializer_class, request)
                return csv_response(stream, self.export_name)
            if supports(queryset, serializer_class):
                rows = fast_rows(queryset, serializer_class, request)
            else:
                rows = serialized_rows(queryset, serializer_class, self.get_serializer_context())
            return export_response(fmt, rows, self.export_name)
        response = super().list(request, *args, **kwargs)
        filterset = getattr(self, "filterset", None)
        if filterset is not None and not filterset.ranked:
            # Too many matches to rank by relevance: the newest first (docs/api.md, Filters).
            response.headers["X-Relevance-Ranking"] = "skipped: too many matches; newest first"
        return response

    def filter_queryset(self, queryset):
        # Filters shape lists; a detail is found by its id alone (e.g. a past event).
        if self.action == "retrieve":
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self):
        try:
            uuid.UUID(self.kwargs[self.lookup_url_kwarg])
        except ValueError:
            raise NotFound(_("No published object has this id.")) from None
        return super().get_object()

    def retrieve(self, request, *args, **kwargs):
        def respond():
            response = super(ListingViewSet, self).retrieve(request, *args, **kwargs)
            response["Last-Modified"] = _http_date(response.data.get("updated_at"))
            return response

        return self._cached(request, respond)


def _http_date(value) -> str:
    from django.utils.http import http_date

    parsed = parse_datetime(value) if isinstance(value, str) else value
    return http_date(parsed.timestamp()) if parsed else ""


@extend_schema_view(
    list=extend_schema(
        summary="Published initiatives",
        parameters=[FORMAT_PARAMETER],
        responses=list_responses(InitiativeSerializer),
    ),
    retrieve=extend_schema(summary="One published initiative, by its UUID"),
)
class InitiativeViewSet(ListingViewSet):
    serializer_class = InitiativeSerializer
    filterset_class = InitiativeFilter
    export_name = "initiatives"

    def get_queryset(self):
        return Initiative.objects.published().for_list().prefetch_related("sources")


@extend_schema_view(
    list=extend_schema(
        summary="Published organizations",
        parameters=[FORMAT_PARAMETER],
        responses=list_responses(OrganizationSerializer),
    ),
    retrieve=extend_schema(summary="One published organization, by its UUID"),
)
class OrganizationViewSet(ListingViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    export_name = "organizations"

    def get_queryset(self):
        return (
            Organization.objects.published()
            .for_list()
            .prefetch_related(
                "sources",
                Prefetch(
                    "networks",
                    queryset=Organization.objects.published().order_by("name"),
                    to_attr="published_networks",
                ),
            )
        )


@extend_schema_view(
    list=extend_schema(
        summary="Published events (upcoming unless `from` or `past=true`)",
        parameters=[FORMAT_PARAMETER],
        responses=list_responses(EventSerializer),
    ),
    retrieve=extend_schema(summary="One published event, by its UUID"),
)
class EventViewSet(ListingViewSet):
    serializer_class = EventSerializer
    filterset_class = EventFilter
    export_name = "events"
    cache_responses = False  # "upcoming" changes with the clock, not only with the data

    def get_queryset(self):
        return Event.objects.published().for_list().prefetch_related("sources")


class ChangesView(APIView):
    """Everything that was published, changed or left the public set since a time."""

    @extend_schema(
        summary="Change feed for mirrors",
        parameters=[
            OpenApiParameter(
                "since", OpenApiTypes.DATETIME, description="ISO 8601; default: the beginning."
            ),
            OpenApiParameter("cursor", str, description="The `next_cursor` of the previous page."),
            OpenApiParameter(
                "limit", int, description=f"Items per page, 1–{MAX_CHANGES} (default 100)."
            ),
        ],
        responses={200: ChangePageSerializer, **ERRORS},
    )
    def get(self, request):
        since, cursor, limit = self._parse(request.query_params)
        if request.accepted_renderer.format != "json":
            return self._page(request, since, cursor, limit)
        # A page of the feed depends only on the data and the URL: cached like the lists.
        data = cached(
            "changes",
            request_parts(request),
            lambda: self._page(request, since, cursor, limit).data,
        )
        return Response(data)

    def _page(self, request, since, cursor, limit) -> Response:
        items, next_key = changes(
            since=since, cursor=cursor, limit=limit, context={"request": request}
        )
        next_cursor = next_key.encode() if next_key else None
        next_url = None
        if next_cursor:
            params = request.query_params.copy()
            params["cursor"] = next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response({"results": items, "next_cursor": next_cursor, "next": next_url})

    def _parse(self, params) -> tuple[datetime, Key | None, int]:
        errors = {}
        since = EPOCH
        if "since" in params:
            try:
                since = parse_datetime(params["since"].replace(" ", "+"))
            except ValueError:  # well-formed but impossible, e.g. 25:00
                since = None
            if since is None:
                errors["since"] = [_("Enter an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z.")]
            elif since.tzinfo is None:
                errors["since"] = [_("Give a time zone, e.g. 2026-01-31T12:00:00Z.")]
            elif not 1900 <= since.year <= 2200:
                errors["since"] = [_("Choose a time between 1900 and 2200.")]
        cursor = None
        if params.get("cursor"):
            try:
                cursor = Key.decode(params["cursor"])
            except BadCursor as exc:
                errors["cursor"] = [str(exc)]
        limit = 100
        if params.get("limit"):
            try:
                limit = int(params["limit"])
                if not 1 <= limit <= MAX_CHANGES:
                    raise ValueError
            except ValueError:
                errors["limit"] = [
                    _("Enter a whole number from 1 to %(max)s.") % {"max": MAX_CHANGES}
                ]
        if errors:
            raise ValidationError(errors)
        return since, cursor, limit


class SubmissionView(generics.GenericAPIView):
    """A partner proposes an initiative; it waits as ``pending`` for a curator."""

    permission_classes = [HasAPIKey]
    throttle_classes = [SubmissionThrottle]
    serializer_class = SubmissionSerializer

    @extend_schema(
        summary="Submit an initiative for review (API key required)",
        responses={201: SubmissionResultSerializer, **ERRORS},
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organization = data.pop("organization")
        key = api_key_of(request)
        initiative = initiative_submit(
            by=f"partner API key “{key.name}” ({key.prefix})", organization=organization, data=data
        )
        result = {
            "id": initiative.uuid,
            "slug": initiative.slug,
            "title": initiative.title,
            "status": initiative.status,
            "organization": initiative.organization,
        }
        return Response(SubmissionResultSerializer(result).data, status=status.HTTP_201_CREATED)
