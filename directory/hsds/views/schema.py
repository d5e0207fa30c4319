"""The OpenAPI description of the HSDS endpoints (drf-spectacular): their parameters and the
shapes of their answers."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from directory.hsds.views.base import DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_SEARCH

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


def list_schema(summary: str, operation_id: str, item: dict, parameters=PAGE_PARAMETERS):
    """The description of an endpoint that answers a ``Page`` of ``item`` (or NDJSON)."""
    return _endpoint(summary, operation_id, parameters, _list_responses(item))


def detail_schema(summary: str, operation_id: str, item: dict, parameters=ID_PATH):
    """The description of an endpoint that answers one ``item`` by its id."""
    return _endpoint(summary, operation_id, parameters, {200: item})


def _endpoint(summary: str, operation_id: str, parameters: list, responses: dict):
    return extend_schema(
        tags=TAG,
        summary=summary,
        operation_id=operation_id,
        parameters=parameters,
        responses=responses,
    )
