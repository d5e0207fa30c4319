"""OpenAPI post-processing: the constraints our filters enforce, stated in the schema."""

PARAMETER_CONSTRAINTS = {
    "near": {"pattern": r"^[0-9]{5}$"},
    "radius": {"minimum": 1, "maximum": 500},
    "page": {"minimum": 1},
    "page_size": {"minimum": 1, "maximum": 100},
    "limit": {"minimum": 1, "maximum": 500},
    "q": {"maxLength": 200},
}

NOT_FOUND = {
    "description": "No such published object, or a page past the last one.",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}}
        }
    },
}

BAD_REQUEST = {
    "description": (
        "A parameter was refused (for example an unknown `lang`, a malformed ZIP code or an "
        "out-of-range number). The body maps each refused parameter to its messages."
    ),
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            }
        }
    },
}


LANG_PARAMETER = {
    "name": "lang",
    "in": "query",
    "required": False,
    "allowEmptyValue": True,
    "description": (
        "Language of the taxonomy names and messages: `en` or `es`. Without it, the "
        "`Accept-Language` header decides (default English). The `Content-Language` response "
        "header says which was used. Listings' own text is never translated."
    ),
    "schema": {"type": "string", "enum": ["en", "es"]},
}


def add_constraints(result, generator, request, public):
    """Add ranges/patterns to query parameters, ``lang`` everywhere, and 400/404 on every GET."""
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method == "get":
                operation.setdefault("parameters", []).append(dict(LANG_PARAMETER))
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter["name"] not in ("since", "cursor"):
                    # Filters follow HTML forms: an empty value means "not given".
                    parameter["allowEmptyValue"] = True
                extra = PARAMETER_CONSTRAINTS.get(parameter["name"])
                if extra and parameter.get("in") == "query":
                    schema = parameter.setdefault("schema", {})
                    target = (
                        schema.get("items", schema) if schema.get("type") == "array" else schema
                    )
                    target.update(extra)
            if method == "get":
                operation.setdefault("responses", {}).setdefault("404", NOT_FOUND)
                # Every GET takes ``lang``, so every GET can answer 400 for an unknown one.
                operation["responses"].setdefault("400", BAD_REQUEST)
                _unwrap_exports(operation)
    return result


def _unwrap_exports(operation) -> None:
    """Exports are not paginated: a GeoJSON export is one FeatureCollection, not a page."""
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    for media_type in ("application/geo+json", "text/csv"):
        schema = content.get(media_type, {}).get("schema", {})
        if "results" in schema.get("properties", {}):
            content[media_type]["schema"] = schema["properties"]["results"]["items"]
