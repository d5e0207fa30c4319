"""Export rows without DRF: the serializers' exact dicts, at tens of thousands of rows a second.

A whole-directory export is a million rows. Building a model instance and walking DRF's fields for
each costs about 2 ms a row (400 rows/s); reading plain tuples with ``values_list`` and filling
the dicts by hand is fifty times cheaper. The shape stays the serializers' (``Meta.fields`` drives
the keys and their order) and ``tests/directory/test_export_fast_path.py`` holds the two paths
equal, field by field, on both databases.

On PostgreSQL a row carries its links' ids and its sources (as JSON) itself; on SQLite, and for
an organization's networks, they come per chunk of rows, one query each. The taxonomy is read
once per export, so the number of queries grows with rows / CHUNK only.
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from itertools import islice
from operator import itemgetter

from django.db import connections, transaction
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from directory.models import Initiative, Organization, SourceRecord
from directory.models.listings import detail_url_parts
from directory.search.taxonomy import taxonomy
from directory.services import facet_terms

CHUNK = 2000

_LOCATION = ("city", "state", "postal_code", "county", "latitude", "longitude")
_TIMES = ("published_at", "last_verified_at", "created_at", "updated_at")
_PLAIN = {
    "slug",
    "summary",
    "description",
    "website",
    "scope",
    "source",
    "is_demo",
    "title",
    "welcomes_newcomers",
    "get_involved",
    "get_involved_url",
    "name",
    "email",
    "is_network",
    "cross_partisan",
    "classified_by",
    "founded_year",
}
_DATES = ("starts_on", "ends_on")


def _iso_datetime(value, zone) -> str | None:
    """As DRF's DateTimeField: in the current time zone, ISO 8601, UTC written ``Z``."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class _Kind:
    """What differs between initiatives and organizations."""

    def __init__(self, model, url_name, extra_columns, own):
        self.model = model
        self.url_name = url_name
        self.extra_columns = extra_columns
        self.own = own  # the link tables' column holding this model's id


KINDS = {
    Initiative: _Kind(
        Initiative,
        "directory:initiative-detail",
        ("organization__uuid", "organization__slug", "organization__name"),
        "initiative_id",
    ),
    Organization: _Kind(
        Organization,
        "directory:organization-detail",
        (),
        "organization_id",
    ),
}


def supports(queryset, serializer_class) -> bool:
    """Whether ``fast_rows`` can stand in for ``serializer_class`` on this queryset."""
    kind = KINDS.get(queryset.model)
    return kind is not None and serializer_class.Meta.model is queryset.model


def snapshot_lookup() -> dict[str, dict[int, tuple]]:
    """id -> (sort position, value as a listing carries it), in the current language, from the
    process's taxonomy snapshot (search/taxonomy.py): no query. The serializers' order and
    values: roles and goals by number, languages in their own order."""
    snapshot = taxonomy()
    roles = sorted(
        ((role, group.slug) for group in snapshot.groups for role in group.roles),
        key=lambda pair: pair[0].order,
    )
    return {
        "roles": {
            role.pk: (i, {"slug": role.slug, "name": role.name, "group": group})
            for i, (role, group) in enumerate(roles)
        },
        "goals": {
            goal.pk: (i, {"slug": goal.slug, "number": goal.number, "title": goal.name})
            for i, goal in enumerate(snapshot.goals)
        },
        "languages": {lang.pk: (i, lang.slug) for i, lang in enumerate(snapshot.languages)},
    }


#: many-to-many field -> its link table's column holding the other side's id
LINKS = {"roles": "role_id", "goals": "goal_id", "languages": "language_id"}


def _ordered(pairs) -> list:
    """The values of (taxonomy position, value) pairs, in the taxonomy's order."""
    return [value for _position, value in sorted(pairs, key=itemgetter(0))]


@cache
def _link_arrays(kind: _Kind) -> dict:
    """PostgreSQL: each row carries the ids it links to. Both kinds' rows hold them
    themselves (the facets' arrays, kept by triggers on the link tables:
    ``directory.services.facet_terms``), so they are read as columns. Built once per kind:
    ``annotate`` resolves copies of these expressions, never the expressions themselves."""
    return facet_terms.columns(kind.model)


@cache
def _sources_column(kind: _Kind) -> RawSQL:
    """PostgreSQL: a row's sources, as ``_sources`` gives them (same keys, same order), read
    with the row as one JSON text: one index look-up per row inside the database instead of a
    statement of its own (a round trip and the ORM's building of it, about a millisecond of an
    API detail's six here)."""
    table = kind.model._meta.db_table
    sources = SourceRecord._meta.db_table
    order = ", ".join(
        f"s.{name[1:]} DESC" if name.startswith("-") else f"s.{name}"
        for name in SourceRecord._meta.ordering
    )
    return RawSQL(
        "(SELECT COALESCE(json_agg(json_build_object('url', s.url, 'title', s.title, "
        "'publisher', s.publisher, 'seen_on', s.seen_on, 'supports', s.supports) "
        f"ORDER BY {order})::text, '[]') FROM {sources} s "
        f'WHERE s.{kind.own} = "{table}"."id")',
        (),
        output_field=TextField(),
    )


def _chunk_links(kind: _Kind, ids: list, taxonomy) -> dict[str, dict]:
    """SQLite, for one chunk: name -> {listing id -> [values in the serializers' order]}."""
    out = {}
    for name, other in LINKS.items():
        grouped = defaultdict(list)
        through = getattr(kind.model, name).through
        for listing_id, value_id in through.objects.filter(**{f"{kind.own}__in": ids}).values_list(
            kind.own, other
        ):
            grouped[listing_id].append(taxonomy[name][value_id])
        out[name] = {key: _ordered(pairs) for key, pairs in grouped.items()}
    return out


def _networks(ids: list) -> dict[int, list[dict]]:
    """For one chunk of organizations: id -> the published networks it belongs to, by name."""
    networks = defaultdict(list)
    rows = (
        Organization.networks.through.objects.filter(
            Organization.objects.published_q("to_organization__"), from_organization_id__in=ids
        )
        .order_by("to_organization__name", "to_organization__pk")
        .values_list(
            "from_organization_id",
            "to_organization__uuid",
            "to_organization__slug",
            "to_organization__name",
        )
    )
    for listing_id, uuid, slug, name in rows:
        networks[listing_id].append({"id": str(uuid), "slug": slug, "name": name})
    return networks


def _sources(kind: _Kind, ids: list) -> dict[int, list[dict]]:
    """For one chunk: listing id -> its sources, as SourceSerializer gives them, in its order."""
    grouped = defaultdict(list)
    rows = (
        SourceRecord.objects.filter(**{f"{kind.own}__in": ids})
        .order_by(*SourceRecord._meta.ordering)
        .values_list(kind.own, "url", "title", "publisher", "seen_on", "supports")
    )
    for listing_id, url, title, publisher, seen_on, facts in rows:
        grouped[listing_id].append(
            {
                "url": url,
                "title": title,
                "publisher": publisher,
                "seen_on": seen_on.isoformat(),
                "supports": facts,
            }
        )
    return grouped


def fast_rows(
    queryset, serializer_class, request, *, page: bool = False
) -> Iterator[dict] | dict[int, dict]:
    """The rows ``serializer_class`` would give for ``queryset``, without building models.

    ``page``: a page of the API's list, not an export: the rows come at once (no server-side
    cursor), and the answer is {key: row}."""
    kind = KINDS[queryset.model]
    fields = serializer_class.Meta.fields
    has_distance = "distance" in queryset.query.annotations
    columns = [
        "pk",
        "uuid",
        *sorted(_PLAIN & {f.name for f in kind.model._meta.fields}),
        *_LOCATION,
        *_TIMES,
        *[d for d in _DATES if d in fields],
        *kind.extra_columns,
    ]
    if has_distance:
        columns.append("distance")
    position = {name: i for i, name in enumerate(columns)}
    path_prefix, url_suffix = detail_url_parts(kind.url_name)
    url_prefix = request.build_absolute_uri(path_prefix)
    taxonomy = snapshot_lookup()
    zone = timezone.get_current_timezone()  # once: looking it up costs more than the format
    in_rows = connections[queryset.db].vendor == "postgresql"
    if in_rows:
        arrays = {**_link_arrays(kind), "_sources": _sources_column(kind)}
        queryset = queryset.annotate(**arrays)
        columns += list(arrays)
        position = {name: i for i, name in enumerate(columns)}
    rows = queryset.prefetch_related(None).values_list(*columns)

    def links_of(row, name, linked) -> list:
        if not in_rows:
            return linked[name].get(row[0], [])
        return _ordered(taxonomy[name][i] for i in row[position[f"_link_{name}"]])

    def getter(name):
        """How to fill one key from a row (and the chunk's links): chosen once per export."""
        if name == "id":
            return lambda row, linked: str(row[1])
        if name == "url":
            i = position["slug"]
            return lambda row, linked: url_prefix + row[i] + url_suffix
        if name in ("roles", "goals", "languages"):
            return lambda row, linked: links_of(row, name, linked)
        if name == "sources" and in_rows:
            i = position["_sources"]
            return lambda row, linked: json.loads(row[i])
        if name in ("networks", "sources"):
            return lambda row, linked: linked[name].get(row[0], [])
        if name == "location":
            where = [(key, position[key]) for key in _LOCATION]
            return lambda row, linked: {key: row[i] for key, i in where}
        if name in _TIMES:
            i = position[name]
            return lambda row, linked: _iso_datetime(row[i], zone)
        if name in _DATES:
            i = position[name]
            return lambda row, linked: None if row[i] is None else row[i].isoformat()
        if name == "organization":
            a, b, c = (position[f"organization__{k}"] for k in ("uuid", "slug", "name"))
            return lambda row, linked: {"id": str(row[a]), "slug": row[b], "name": row[c]}
        if name == "distance_miles":
            if not has_distance:
                return lambda row, linked: None
            i = position["distance"]
            return lambda row, linked: None if row[i] is None else round(row[i], 1)
        i = position[name]
        return lambda row, linked: row[i]

    steps = [(name, getter(name)) for name in fields]

    def build(row, linked) -> dict:
        return {name: get(row, linked) for name, get in steps}

    def generate(iterator) -> Iterator[dict]:
        for batch in iter(lambda: list(islice(iterator, CHUNK)), []):
            ids = [row[0] for row in batch]
            linked = {} if in_rows else _chunk_links(kind, ids, taxonomy)
            if kind.model is Organization:
                linked["networks"] = _networks(ids)
            if not in_rows:
                linked["sources"] = _sources(kind, ids)
            for row in batch:
                yield build(row, linked)

    if page:
        batch = list(rows)
        return dict(zip((row[0] for row in batch), generate(iter(batch)), strict=True))
    return _stream(rows, generate, in_rows)


def _stream(rows, generate, in_rows: bool) -> Iterator[dict]:
    if in_rows:
        # A server-side cursor inside a read transaction streams (see exports.serialized_rows).
        with transaction.atomic(using=rows.db):
            yield from generate(rows.iterator(chunk_size=CHUNK))
    else:
        yield from generate(rows.iterator(chunk_size=CHUNK))
