"""The partner API v1 beside the listings (``listings.py``): pagination, the change feed and
submissions."""

import functools
from datetime import datetime

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from directory.api.changes import EPOCH, BadCursor, Key, changes
from directory.api.serializers import (
    ChangePageSerializer,
    SubmissionResultSerializer,
    SubmissionSerializer,
)
from directory.api.throttles import SubmissionThrottle, api_key_of
from directory.caching import cached, request_parts
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

    def paginate_queryset(self, queryset, request, view=None):
        """As DRF's; when the view's FilterSet has already counted the matches (to choose
        how to sort them), the paginator takes that count and runs no COUNT."""
        known = getattr(getattr(view, "filterset", None), "match_count", None)
        self.django_paginator_class = functools.partial(CappedPaginator, known_count=known)
        return super().paginate_queryset(queryset, request, view)

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


ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors: {field: [messages]}")
}


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
