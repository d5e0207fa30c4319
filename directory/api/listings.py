"""The listings of ``/api/v1/`` (initiatives, organizations, events): JSON pages and details,
cached under the data version, and every matching row as CSV or GeoJSON (``?format=``)."""

import uuid

from django.db.models import Prefetch
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from directory.api.exports import copycsv
from directory.api.exports.fastrows import fast_rows, supports
from directory.api.exports.streams import csv_response, export_response, serialized_rows
from directory.api.serializers import (
    EventSerializer,
    InitiativeSerializer,
    OrganizationSerializer,
)
from directory.api.views import ERRORS, RememberingFilterBackend, StandardPagination
from directory.caching import cached, reads, request_parts
from directory.models import Event, Initiative, Organization
from directory.search.filters import EventFilter, InitiativeFilter, OrganizationFilter


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


def listing_schema(listed: str, one: str, serializer_class):
    """The OpenAPI description of a listing's list (pages or an export) and of one listing."""
    return extend_schema_view(
        list=extend_schema(
            summary=listed,
            parameters=[FORMAT_PARAMETER],
            responses=list_responses(serializer_class),
        ),
        retrieve=extend_schema(summary=one),
    )


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

        scopes = reads(self.filterset_class._meta.model)
        status_code, data, headers = cached("api", parts, compute, scopes=scopes)
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
        serializer_class = self.get_serializer_class()
        published = self.published()
        if request.accepted_renderer.format == "json" and supports(published, serializer_class):
            queryset = self.filter_queryset(published)
            response = self._page_of_rows(request, queryset, serializer_class)
        else:  # the browsable API, events
            queryset = self.filter_queryset(self.get_queryset())
            page = self.paginate_queryset(queryset)
            serializer = self.get_serializer(page, many=True)
            response = self.get_paginated_response(serializer.data)
        filterset = getattr(self, "filterset", None)
        if filterset is not None and not filterset.ranked:
            # Too many matches to rank by relevance: the newest first (docs/api.md, Filters).
            response.headers["X-Relevance-Ranking"] = "skipped: too many matches; newest first"
        return response

    def _page_of_rows(self, request, queryset, serializer_class):
        """A page of the list as the serializer gives it, from plain rows (``fast_rows``, held
        equal to the serializer by tests/directory/test_export_fast_path.py): the page's keys
        in the list's order first, then its rows by key. No model instance, no prefetch."""
        keys = self.paginate_queryset(
            queryset.prefetch_related(None).select_related(None).only("pk")
        )
        ids = [row.pk for row in keys]
        found = fast_rows(
            queryset.order_by().filter(pk__in=ids), serializer_class, request, page=True
        )
        return self.get_paginated_response([found[pk] for pk in ids if pk in found])

    def published(self):
        """The published listings as plain rows read them (``fast_rows``): no prefetches to
        build (``get_queryset``'s are for the serializers, which read models)."""
        return self.get_serializer_class().Meta.model.objects.published()

    def filter_queryset(self, queryset):
        # Filters shape lists; a detail is found by its id alone (e.g. a past event).
        if self.action == "retrieve":
            return queryset
        return super().filter_queryset(queryset)

    def get_object_id(self) -> uuid.UUID:
        """The id in the URL; a JSON 404 when it is no UUID."""
        try:
            return uuid.UUID(self.kwargs[self.lookup_url_kwarg])
        except ValueError:
            raise NotFound(_("No published object has this id.")) from None

    def get_object(self):
        self.get_object_id()
        return super().get_object()

    def retrieve(self, request, *args, **kwargs):
        def respond():
            response = None
            if request.accepted_renderer.format == "json":
                response = self._one_from_row(request)
            if response is None:  # the browsable API, events, or no such listing (a 404)
                response = super(ListingViewSet, self).retrieve(request, *args, **kwargs)
            response["Last-Modified"] = _http_date(response.data.get("updated_at"))
            return response

        return self._cached(request, respond)

    def _one_from_row(self, request) -> Response | None:
        """One listing as the serializer gives it, from a plain row (``fast_rows``, as the
        list's pages): two statements on PostgreSQL (the row with its links, its sources; five
        on SQLite, a query per link table) and no model instance, where the serializer's path
        prefetches roles, goals, languages and sources as models (about half of an API
        detail's time). None when ``fast_rows`` cannot stand in or nothing public has this id:
        the serializer's path answers then (its 404 included)."""
        queryset = self.published()
        serializer_class = self.get_serializer_class()
        if not supports(queryset, serializer_class):
            return None
        found = fast_rows(
            queryset.order_by().filter(uuid=self.get_object_id()),
            serializer_class,
            request,
            page=True,
        )
        return Response(next(iter(found.values()))) if found else None


def _http_date(value) -> str:
    from django.utils.http import http_date

    parsed = parse_datetime(value) if isinstance(value, str) else value
    return http_date(parsed.timestamp()) if parsed else ""


@listing_schema(
    "Published initiatives", "One published initiative, by its UUID", InitiativeSerializer
)
class InitiativeViewSet(ListingViewSet):
    serializer_class = InitiativeSerializer
    filterset_class = InitiativeFilter
    export_name = "initiatives"

    def get_queryset(self):
        return Initiative.objects.published().for_list().prefetch_related("sources")


@listing_schema(
    "Published organizations", "One published organization, by its UUID", OrganizationSerializer
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


@listing_schema(
    "Published events (upcoming unless `from` or `past=true`)",
    "One published event, by its UUID",
    EventSerializer,
)
class EventViewSet(ListingViewSet):
    serializer_class = EventSerializer
    filterset_class = EventFilter
    export_name = "events"
    cache_responses = False  # "upcoming" changes with the clock, not only with the data

    def get_queryset(self):
        return Event.objects.published().for_list().prefetch_related("sources")
