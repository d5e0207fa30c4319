"""What every HSDS endpoint shares: its parameters read and checked, and its answers (a ``Page``,
an NDJSON stream, one object by id)."""

import json
import math
import uuid
from datetime import UTC, datetime, time

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

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

    def document_by_id(self, documents: list[dict], id_value: str) -> Response:
        """The one of ``documents`` (taxonomies, terms) with this id."""
        for document in documents:
            if document["id"] == id_value.lower():
                return Response(document)
        raise NotFound(_("No published object has this id."))
