"""Validate documents against the HSDS 3.0 JSON schemas kept in tests/data/hsds/ (see README)."""

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DATA = Path(__file__).resolve().parent.parent / "data" / "hsds"
BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

FORMATS = FormatChecker()


@FORMATS.checks("uri", raises=ValueError)
def _uri(value) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.path))


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    parsed = datetime.fromisoformat(value)
    return parsed.tzinfo is not None


@cache
def _registry() -> Registry:
    registry = Registry()
    for path in sorted(DATA.rglob("*.json")):
        name = path.relative_to(DATA).as_posix()
        contents = json.loads(path.read_text())
        if name == "openapi.json":
            contents = contents["components"]["schemas"]["Page"]
        registry = registry.with_resource(
            BASE + name, DRAFT202012.create_resource({"$id": BASE + name, **contents})
        )
    return registry


def errors(document, schema: str) -> list[str]:
    """What is wrong with ``document`` as ``schema`` (e.g. "service.json"), as messages."""
    validator = Draft202012Validator(
        {"$ref": BASE + schema}, registry=_registry(), format_checker=FORMATS
    )
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def assert_valid(document, schema: str) -> None:
    problems = errors(document, schema)
    assert not problems, f"not valid HSDS 3.0 {schema}: {problems}"


def assert_valid_page(page, item_schema: str) -> None:
    """An HSDS list answer: the ``Page`` fields (openapi.json) and each item of ``contents``."""
    assert_valid(page, "openapi.json")
    for key in (
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
    ):
        assert key in page, key
    for item in page["contents"]:
        assert_valid(item, item_schema)
