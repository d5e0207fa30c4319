"""Streaming CSV and GeoJSON exports of a filtered list: flat memory at any size."""

import csv
import io
from collections.abc import Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, transaction
from django.http import StreamingHttpResponse

CHUNK = 1000
BATCH = 500  # rows per piece of a streamed export
# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Neutralise text that a spreadsheet would treat as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _flatten(row: dict) -> dict:
    """One CSV row from a serialized listing: nested values become flat columns."""
    flat = {}
    for key, value in row.items():
        if key == "location":
            flat.update(value)
        elif key == "organization":
            flat["organization_id"] = value["id"]
            flat["organization_slug"] = value["slug"]
            flat["organization_name"] = value["name"]
        elif key in ("roles", "goals", "networks"):
            flat[key] = "; ".join(item["slug"] for item in value)
        elif key == "languages":
            flat[key] = "; ".join(value)
        elif key == "sources":
            flat[key] = "; ".join(item["url"] for item in value)
        elif value is None:
            flat[key] = ""
        else:
            flat[key] = value
    return flat


def csv_stream(rows: Iterable[dict]) -> Iterator[str]:
    """CSV text in pieces of ``BATCH`` rows (one write to the socket per piece, not per row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = None
    for n, row in enumerate(rows, 1):
        flat = _flatten(row)
        if names is None:
            names = list(flat)
            writer.writerow(names)
        writer.writerow([spreadsheet_safe(flat.get(name, "")) for name in names])
        if n % BATCH == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def geojson_stream(rows: Iterable[dict]) -> Iterator[str]:
    """A FeatureCollection of points (RFC 7946); listings without a place get a null geometry."""
    pieces = ['{"type": "FeatureCollection", "features": [']
    encoder = DjangoJSONEncoder()
    for n, row in enumerate(rows, 1):
        loc = row["location"]
        geometry = (
            {"type": "Point", "coordinates": [loc["longitude"], loc["latitude"]]}
            if loc["latitude"] is not None and loc["longitude"] is not None
            else None
        )
        feature = {"type": "Feature", "id": row["id"], "geometry": geometry, "properties": row}
        pieces.append(("," if n > 1 else "") + encoder.encode(feature))
        if n % BATCH == 0:
            yield "".join(pieces)
            pieces = []
    pieces.append("]}")
    yield "".join(pieces)


def serialized_rows(queryset, serializer_class, context) -> Iterator[dict]:
    """Serialize a queryset chunk by chunk (prefetches run per chunk), with flat memory.

    One serializer serves every row (building DRF's fields per row cost milliseconds each).
    On PostgreSQL the rows stream from a server-side cursor inside a read transaction: outside
    one, Django declares the cursor WITH HOLD, which makes PostgreSQL compute the whole result
    before the first row. (On SQLite a transaction would hold the write lock: not there.)
    """
    serializer = serializer_class(context=context)
    if connections[queryset.db].vendor == "postgresql":
        with transaction.atomic(using=queryset.db):
            for obj in queryset.iterator(chunk_size=CHUNK):
                yield serializer.to_representation(obj)
    else:
        for obj in queryset.iterator(chunk_size=CHUNK):
            yield serializer.to_representation(obj)


def csv_response(chunks: Iterable, filename: str) -> StreamingHttpResponse:
    """CSV already written, streamed as a download (from ``csv_stream`` or copycsv.py)."""
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def export_response(fmt: str, rows: Iterator[dict], filename: str) -> StreamingHttpResponse:
    if fmt == "csv":
        return csv_response(csv_stream(rows), filename)
    return StreamingHttpResponse(geojson_stream(rows), content_type="application/geo+json")
