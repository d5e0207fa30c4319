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

from django.db.models import Q
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
    for type_name, model in TYPES.items():
        rows = (
            model.objects.filter(published_at__isnull=False)
            .filter(_after("updated_at", type_name, since, cursor))
            .order_by("updated_at", "uuid")
            .values_list("updated_at", "uuid", "status")[: limit + 1]
        )
        for updated_at, ident, status in rows:  # plain rows: limit + 1 per kind, most not kept
            candidates.append((Key(updated_at, type_name, str(ident)), "row", status))
        for row in deletions(model, type_name, since, cursor, limit + 1):
            key = Key(row["history_date"], type_name, str(row["uuid"]))
            candidates.append((key, "deleted", None))
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


def deletions(model, type_name: str, since: datetime, cursor: Key | None, limit: int):
    """The first ``limit`` deletions of published ``model`` rows after the cursor: their
    ``uuid`` and ``history_date``, from the history's own index of deletions (``ListingHistory``),
    not a walk through every edit since ``since``."""
    return (
        _history_model(model)
        .objects.filter(history_type="-", published_at__isnull=False)
        .filter(_after("history_date", type_name, since, cursor))
        .order_by("history_date", "uuid")
        .values("uuid", "history_date")[:limit]
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
