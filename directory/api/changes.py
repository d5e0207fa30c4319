"""The change feed: everything that entered, changed in or left the public set since a time.

Items are ordered by (time, type, id) and paged with an opaque cursor, so a mirror that replays
the feed from the start (or from its last ``since``) ends equal to the public set:

- ``{"type", "id", "changed_at", "object"}``: the object is public now; insert or replace it;
- ``{"type", "id", "removed_at"}`` (a tombstone): it left the public set (unpublished,
  archived, rejected after publication, or deleted); remove it.

Listings that were never published never appear, not even as tombstones.
"""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.db import connections
from django.db.models import Q, Value
from django.utils.translation import gettext as _

from directory.api.exports.fastrows import fast_rows, supports
from directory.api.serializers import EventSerializer, InitiativeSerializer, OrganizationSerializer
from directory.models import LISTING_TYPES, Status

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TYPES = LISTING_TYPES  # an item's ``type``: the singular kind
SERIALIZERS = {
    "event": EventSerializer,
    "initiative": InitiativeSerializer,
    "organization": OrganizationSerializer,
}


class BadCursor(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Key:
    at: datetime
    type: str
    id: str

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.type, self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Key":
        """The key a cursor of :meth:`encode` holds; anything else is a :class:`BadCursor`."""
        try:
            raw = base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
            at, kind, ident = json.loads(raw)
            key = cls(datetime.fromisoformat(at), kind, str(uuid.UUID(ident)))
            valid = (
                isinstance(kind, str)
                and kind in TYPES
                and key.at.tzinfo is not None
                and 1900 <= key.at.year <= 2200
            )
        except (ValueError, TypeError, AttributeError, binascii.Error, RecursionError) as exc:
            raise BadCursor(_("This cursor is not one the feed gave out.")) from exc
        if not valid:
            raise BadCursor(_("This cursor is not one the feed gave out."))
        return key


def _after(field: str, type_name: str, since: datetime, cursor: Key | None) -> Q:
    """Rows of one source that come after ``since`` and after the cursor in (time, type, id)."""
    after_since = Q(**{f"{field}__gt": since})
    if cursor is None:
        return after_since
    if type_name > cursor.type:
        return after_since & Q(**{f"{field}__gte": cursor.at})
    if type_name < cursor.type:
        return after_since & Q(**{f"{field}__gt": cursor.at})
    return after_since & (
        Q(**{f"{field}__gt": cursor.at}) | Q(**{field: cursor.at, "uuid__gt": cursor.id})
    )


def changes(*, since: datetime, cursor: Key | None, limit: int, context: dict):
    """Up to ``limit`` items after the cursor, and the cursor for the next page (or None)."""
    candidates: list[tuple[Key, str, str | None]] = []  # (key, "row" or "deleted", status)
    for at, ident, status, type_name, deleted in _candidates(since, cursor, limit + 1):
        key = Key(at, type_name, str(ident))
        candidates.append((key, "deleted", None) if deleted else (key, "row", status))
    candidates.sort(key=lambda item: item[0])
    page, more = candidates[:limit], len(candidates) > limit

    public_ids = {
        type_name: [
            key.id
            for key, kind, status in page
            if key.type == type_name and kind == "row" and status == Status.PUBLISHED
        ]
        for type_name in TYPES
    }
    objects = {}
    for type_name, ids in public_ids.items():
        for ident, data in public_objects(type_name, ids, context).items():
            objects[(type_name, ident)] = data

    items = []
    for key, _kind, _row in page:
        data = objects.get((key.type, key.id))
        if data is not None:
            items.append({"type": key.type, "id": key.id, "changed_at": key.at, "object": data})
        else:
            items.append({"type": key.type, "id": key.id, "removed_at": key.at})
    return items, (page[-1][0] if more and page else None)


def _candidates(since: datetime, cursor: Key | None, limit: int):
    """The first ``limit`` rows and deletions of every type after the cursor, as (time, id,
    status, type, deleted); the caller puts them in the feed's order.

    Each source is read in (time, id) order from its index, at most ``limit`` rows. PostgreSQL
    reads all six in one statement whose outer ``LIMIT`` stops each source as soon as the merge
    has passed it (a Merge Append): a page of mostly initiatives reads a few organizations'
    rows, not ``limit`` of them only to drop them (at a million initiatives, where those rows
    are seldom in PostgreSQL's memory, about a hundred page reads fewer per request). Databases
    that take no ``LIMIT`` inside a ``UNION`` (SQLite) read the sources one by one, up to
    ``limit`` of each."""
    parts = []
    for type_name, model in TYPES.items():
        parts.append(
            model.objects.filter(published_at__isnull=False)
            .filter(_after("updated_at", type_name, since, cursor))
            .annotate(kind=Value(type_name), deleted=Value(False))
            .order_by("updated_at", "uuid")
            .values_list("updated_at", "uuid", "status", "kind", "deleted")[:limit]
        )
        parts.append(deletions(model, type_name, since, cursor, limit))
    if not connections[parts[0].db].features.supports_slicing_ordering_in_compound:
        return [row for part in parts for row in part]
    first, *rest = parts
    return first.union(*rest, all=True).order_by("updated_at", "kind", "uuid")[:limit]


def deletions(model, type_name: str, since: datetime, cursor: Key | None, limit: int):
    """The first ``limit`` deletions of published ``model`` rows after the cursor, as
    ``_candidates`` gives them, from the history's own index of deletions (``ListingHistory``),
    not a walk through every edit since ``since``."""
    return (
        _history_model(model)
        .objects.filter(history_type="-", published_at__isnull=False)
        .filter(_after("history_date", type_name, since, cursor))
        .annotate(kind=Value(type_name), deleted=Value(True))
        .order_by("history_date", "uuid")
        .values_list("history_date", "uuid", "status", "kind", "deleted")[:limit]
    )


@cache
def _history_model(model):
    """``model``'s historical model, looked up once: ``model.history`` (django-simple-history's
    descriptor) builds a new manager class on every access, about 0.2 ms each."""
    return model.history.model


def public_objects(type_name: str, ids: list[str], context: dict) -> dict[str, dict]:
    """The public objects of one type among ``ids`` (UUID strings), as the list endpoints give
    them, by id. Used by the feed and by webhooks, so partners parse one shape."""
    if not ids:
        return {}
    queryset = TYPES[type_name].objects.published().filter(uuid__in=ids)
    serializer_class = SERIALIZERS[type_name]
    if supports(queryset, serializer_class):
        # The exports' fast path: the same dicts, without DRF's per-object cost.
        found = fast_rows(queryset, serializer_class, context["request"], page=True)
        return {data["id"]: data for data in found.values()}
    serializer = serializer_class(context=context)
    return {
        str(obj.uuid): serializer.to_representation(obj)
        for obj in queryset.for_list().prefetch_related("sources")
    }
