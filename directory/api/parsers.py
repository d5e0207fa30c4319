"""The API's JSON parser: DRF's, answering ``400`` (not ``500``) for the bodies it lets through.

Python's ``json`` module accepts escaped lone surrogates (``"\\ud800"``), which no database can
store, and raises ``RecursionError`` (not a ``ValueError``) on very deeply nested arrays. Neither
is valid JSON for our purposes (RFC 8259 requires text to be Unicode), so both are parse errors.
(DRF reads the body through ``request.body``, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
already refuses an oversized one with a 400.)
"""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: Nesting deeper than this is refused (our bodies are two levels deep).
MAX_DEPTH = 32


def _problem(data) -> str | None:
    """Why ``data`` (a parsed body) is refused, or None. Iterative: no recursion to exhaust."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            items = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            items = value
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return _("The JSON holds an unpaired surrogate (such as \\ud800), not text.")
            continue
        else:
            continue
        if depth > MAX_DEPTH:
            return _("The JSON is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}
        stack.extend((item, depth + 1) for item in items)
    return None


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                _("The JSON is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}
            ) from None
        problem = _problem(data)
        if problem:
            raise ParseError(problem)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's, answering ``400`` for a body that is no form at all: a non-empty body in which
    not one field or file is found (text before a closing boundary, say) is refused, not read
    as an empty form (on a PATCH that would answer ``200`` and change nothing)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        request = (parser_context or {}).get("request")
        has_body = int((request.META if request else {}).get("CONTENT_LENGTH") or 0) > 0
        if has_body and not parsed.data and not parsed.files:
            raise ParseError(_("The multipart body holds no form field."))
        return parsed
