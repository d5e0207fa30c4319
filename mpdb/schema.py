"""OpenAPI post-processing: the constraints our filters enforce, stated in the schema."""

PARAMETER_CONSTRAINTS = {
    "near": {"pattern": r"^\d{5}$"},
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


def add_constraints(result, generator, request, public):
    """Add ranges/patterns to query parameters and document 404 on every GET."""
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
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
                _unwrap_exports(operation)
    return result


def _unwrap_exports(operation) -> None:
    """Exports are not paginated: a GeoJSON export is one FeatureCollection, not a page."""
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    for media_type in ("application/geo+json", "text/csv"):
        schema = content.get(media_type, {}).get("schema", {})
        if "results" in schema.get("properties", {}):
            content[media_type]["schema"] = schema["properties"]["results"]["items"]
