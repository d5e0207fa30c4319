"""CSV exports of initiatives written by PostgreSQL itself (``COPY (…) TO STDOUT``).

A whole-directory export is a million rows. Even without DRF (fastrows.py), Python spends about
100 µs a row fetching tuples, building dicts and quoting cells; PostgreSQL's own CSV writer
does the same in C, next to the data. Here the export's query becomes one ``COPY``: every cell is
an SQL expression that yields exactly the text the Python path writes, and the app only relays
the bytes, changing each row's ``\\n`` ending to the ``\\r\\n`` that Python's ``csv`` writes.

What makes the text identical (``tests/directory/test_export_fast_path.py`` compares the two
byte for byte on varied data):

- PostgreSQL quotes an empty string (``""``) and leaves NULL bare; Python writes both bare, so
  every text cell is ``NULLIF(…, '')``. Both quote a cell holding the delimiter, a quote, CR or
  LF, and both double the quotes inside.
- Text that a spreadsheet would run as a formula gets a leading ``'`` (exports.spreadsheet_safe).
- Booleans are ``True``/``False``; whole floats keep their ``.0`` (Python's ``repr``);
  timestamps are ISO 8601 in UTC with ``Z`` and microseconds only when there are any.
- Roles, goals and languages are slugs (codes) joined with ``"; "`` in the taxonomy's order.

Used for initiatives on PostgreSQL when the current time zone is UTC (the setting); anything
else takes the Python path, which gives the same bytes more slowly.
"""

from collections.abc import Iterator

from django.db import connections, transaction
from django.db.models import F, Func, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from directory.api.exports.fastrows import LINKS, snapshot_lookup
from directory.api.exports.streams import FORMULA_START
from directory.models import Initiative, SourceRecord
from directory.models.listings import detail_url_parts

PIECE = 256 * 1024  # bytes relayed to the socket at a time


def _template(sql: str) -> str:
    """A Func template: ``{x}`` stands for the (parameter-free) expression."""
    return sql.replace("{x}", "%(expressions)s")


_STARTS = ", ".join(str(ord(c)) for c in FORMULA_START)  # code points: 61 for "=", ...


class _Text(Func):
    """Text as the Python path writes it: empty as NULL (bare), formulas neutralised."""

    # ascii() reads the first character's code point: cheaper than left() on long text.
    template = _template(
        f"CASE WHEN ascii({{x}}) IN ({_STARTS}) THEN '''' || {{x}} ELSE NULLIF({{x}}, '') END"
    )
    output_field = TextField()


class _Bool(Func):
    template = _template("CASE WHEN {x} THEN 'True' WHEN NOT {x} THEN 'False' END")
    output_field = TextField()


class _Float(Func):
    """``repr(float)``: PostgreSQL's shortest exact digits, with ``.0`` on whole numbers."""

    template = _template(
        "CASE WHEN {x} = trunc({x}) AND abs({x}) < 1e16 THEN {x}::text || '.0' ELSE {x}::text END"
    )
    output_field = TextField()


class _Timestamp(Func):
    """DRF's ISO 8601 in UTC: ``Z``, and ``.ffffff`` only when there are microseconds."""

    template = _template(
        "to_char({x} AT TIME ZONE 'UTC', CASE WHEN date_trunc('second', {x}) = {x} "
        'THEN \'YYYY-MM-DD"T"HH24:MI:SS"Z"\' ELSE \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\' END)'
    )
    output_field = TextField()


class _Date(Func):
    template = _template("to_char({x}, 'YYYY-MM-DD')")
    output_field = TextField()


class _Tenth(Func):
    """``round(distance, 1)`` as Python prints it."""

    template = _template("round(({x})::numeric, 1)::text")
    output_field = TextField()


def _joined(table: str, column: str, values: list, order: list | None) -> RawSQL:
    """One listing's linked values joined with "; " in the taxonomy's order; NULL if none.

    ``values`` and ``order`` map a linked id to its slug and its sort position (``order``
    None: the linked column holds the value itself, sorted by its place in ``values``). They
    travel as arrays in the query, so a row costs one look-up in the link table's index and no
    join with the taxonomy's table (which took half the time of a whole export).
    """
    if order is None:
        value, position = f"l.{column}", f"array_position(%s::text[], l.{column})"
        params = (values,)
    else:
        value, position = f"(%s::text[])[l.{column}]", f"(%s::int[])[l.{column}]"
        params = (values, order)
    return RawSQL(
        f"(SELECT string_agg({value}, '; ' ORDER BY {position}) FROM {table} l "
        f'WHERE l.initiative_id = "directory_initiative"."id")',
        params,
        output_field=TextField(),
    )


def _by_id(values: dict[int, object]) -> list:
    """[the value for id 1, for id 2, ...]: PostgreSQL arrays count from 1."""
    out = [None] * max(values, default=0)
    for pk, value in values.items():
        out[pk - 1] = value
    return out


def _link_columns() -> dict:
    """The roles, goals and languages columns, with the taxonomy (and its order) as it is now:
    fastrows' look-up tables, which hold the order the serializers give."""
    taxonomy = snapshot_lookup()
    columns = {}
    for name, other in LINKS.items():
        table = connections["default"].ops.quote_name(
            getattr(Initiative, name).through._meta.db_table
        )
        if name == "languages":  # the link holds the code itself
            codes = sorted(taxonomy[name], key=lambda code: taxonomy[name][code][0])
            columns[name] = _joined(table, other, codes, None)
        else:
            slugs = _by_id({pk: value["slug"] for pk, (_i, value) in taxonomy[name].items()})
            order = _by_id({pk: i for pk, (i, _value) in taxonomy[name].items()})
            columns[name] = _joined(table, other, slugs, order)
    return columns


def _source_urls() -> RawSQL:
    """The initiative's source addresses joined with "; ", newest first (SourceRecord's order);
    NULL if none. Addresses are http(s) URLs, so none needs neutralising as a formula."""
    table = connections["default"].ops.quote_name(SourceRecord._meta.db_table)
    return RawSQL(
        f"(SELECT string_agg(s.url, '; ' ORDER BY s.seen_on DESC, s.id) FROM {table} s "
        f'WHERE s.initiative_id = "directory_initiative"."id")',
        (),
        output_field=TextField(),
    )


def supports(queryset, serializer_class, fmt: str) -> bool:
    return (
        fmt == "csv"
        and queryset.model is Initiative
        and serializer_class.Meta.model is Initiative
        and connections[queryset.db].vendor == "postgresql"
        and not queryset.query.distinct
        and timezone.get_current_timezone_name() == "UTC"
    )


def _columns(queryset, fields, request) -> list[tuple[str, object]]:
    """(CSV header, SQL expression) per column, in the Python path's order (exports._flatten)."""
    path_prefix, suffix = detail_url_parts("directory:initiative-detail")
    prefix = request.build_absolute_uri(path_prefix)
    has_distance = "distance" in queryset.query.annotations
    links = _link_columns()
    columns = []
    for name in fields:
        if name == "id":
            columns.append(("id", Cast("uuid", TextField())))
        elif name == "url":
            columns.append(
                ("url", Concat(Value(prefix), F("slug"), Value(suffix), output_field=TextField()))
            )
        elif name == "organization":
            columns += [
                ("organization_id", Cast("organization__uuid", TextField())),
                ("organization_slug", _Text("organization__slug")),
                ("organization_name", _Text("organization__name")),
            ]
        elif name in links:
            columns.append((name, links[name]))
        elif name == "sources":
            columns.append((name, _source_urls()))
        elif name == "location":
            columns += [(key, _Text(key)) for key in ("city", "state", "postal_code", "county")]
            columns += [(key, _Float(key)) for key in ("latitude", "longitude")]
        elif name in ("published_at", "last_verified_at", "created_at", "updated_at"):
            columns.append((name, _Timestamp(name)))
        elif name in ("starts_on", "ends_on"):
            columns.append((name, _Date(name)))
        elif name == "distance_miles":
            columns.append((name, _Tenth("distance") if has_distance else Value(None, TextField())))
        elif name in ("is_demo", "welcomes_newcomers"):
            columns.append((name, _Bool(name)))
        else:
            columns.append((name, _Text(name)))
    return columns


def csv_stream(queryset, serializer_class, request) -> Iterator[bytes]:
    """The export's CSV bytes, streamed from one ``COPY`` in pieces of about ``PIECE`` bytes."""
    columns = _columns(queryset, serializer_class.Meta.fields, request)
    aliases = {f"_csv{i}": expression for i, (_name, expression) in enumerate(columns)}
    rows = queryset.prefetch_related(None).annotate(**aliases).values_list(*aliases)
    connection = connections[rows.db]
    sql, params = rows.query.get_compiler(connection=connection).as_sql()

    def generate() -> Iterator[bytes]:
        # As the Python path: the header comes with the first row (an empty export is empty).
        header = ",".join(name for name, _expression in columns).encode()
        # The driver's own cursor: Django's wrapper has no COPY. Parameters are bound on the
        # client, as for every query Django sends. A reader who leaves early makes psycopg
        # cancel the COPY, which fails the statement: the transaction (or savepoint) around it
        # is rolled back and the connection serves on.
        statement = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
        with transaction.atomic(using=rows.db), connection.cursor() as wrapper:
            # One statement lasts as long as the reader takes to download it all, so the
            # deployment's statement_timeout (if any) is lifted for it, as the cursor of the
            # Python path, fetched in many short statements, never met it. SET LOCAL ends with
            # the transaction.
            wrapper.execute("SET LOCAL statement_timeout = 0")
            with wrapper.cursor.copy(statement, params) as copy:
                piece, size = [header], 0
                for row in copy:  # one message per row, ending in \n (the protocol's promise)
                    piece.append(row[:-1])
                    size += len(row)
                    if size >= PIECE:
                        yield b"\r\n".join(piece) + b"\r\n"
                        piece, size = [], 0
                if size:
                    yield b"\r\n".join(piece) + b"\r\n"

    return generate()
