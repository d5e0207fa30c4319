"""Which webhook events a transaction caused, decided once it commits.

Saves, deletions and taxonomy changes of organizations, initiatives and events (and their
sources) are noted per transaction with the status each had when it was loaded. When the
transaction commits (``transaction.on_commit``; nothing happens for one rolled back), each noted
listing is compared before and after by the public-set rule (``published()``: its own status,
and its organization's and initiative's): entered → ``*.published``, stayed → ``*.changed``,
left → ``listing.withdrawn`` / ``event.cancelled``. Listings that were never public are never
announced. Each event becomes one delivery per subscribed endpoint, carrying the change feed's
item for the listing (``directory.api.changes``), and the ``deliver`` task is queued for it
(for a paused endpoint, once it is resumed).
"""

import json
import logging
import threading
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.db import transaction
from django.db.models import signals
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from directory.models import (
    Event,
    Initiative,
    Organization,
    SourceRecord,
    Status,
    WebhookDelivery,
    WebhookEndpoint,
)

log = logging.getLogger("mpdb.webhooks")

MODELS = {"organization": Organization, "initiative": Initiative, "event": Event}
TYPE_OF = {model: name for name, model in MODELS.items()}
#: (entered, changed, left) event names per type
NAMES = {
    "organization": ("listing.published", "listing.changed", "listing.withdrawn"),
    "initiative": ("listing.published", "listing.changed", "listing.withdrawn"),
    "event": ("event.published", "event.changed", "event.cancelled"),
}
PUBLISHED = Status.PUBLISHED.value


@dataclass
class Noted:
    """A listing a transaction touched, as it was before (``status``: None if it is new)."""

    type: str
    pk: int
    uuid: str
    status: str | None
    organization_id: int | None = None
    initiative_id: int | None = None
    deleted: bool = False


class SiteRequest:
    """Enough of a request for the serializers' absolute links, outside any request."""

    def __init__(self, base: str):
        self.base = base.rstrip("/") + "/"

    def build_absolute_uri(self, location: str = "/") -> str:
        return urljoin(self.base, location)


_local = threading.local()


class Batch:
    """The listings one transaction touched; flushed once, after it commits."""

    def __init__(self):
        self.noted: dict[tuple[str, int], Noted] = {}

    def note(self, item: Noted) -> None:
        key = (item.type, item.pk)
        first = self.noted.get(key)
        if first is None:
            self.noted[key] = item
        elif item.deleted:
            first.deleted = True  # the first note holds the status before the transaction

    def flush(self) -> None:
        if not self.noted:
            return
        endpoints = [
            endpoint
            for endpoint in WebhookEndpoint.objects.filter(key__revoked=False).select_related("key")
            if not endpoint.key.has_expired
        ]
        if not endpoints:
            return
        happened = announcements(self.noted)
        if happened:
            deliveries_create(happened, endpoints)


def _batch(using: str) -> Batch:
    """The batch of the transaction in progress on ``using`` (a new one, hooked to its commit).

    A batch whose transaction rolled back lost its commit hook with it, so it is not reused.
    Outside a transaction the change is committed already, and is announced at once.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return _Immediate()
    batches = _local.__dict__.setdefault("batches", {})
    batch = batches.get(using)
    if batch is None or not any(hook[1] == batch.flush for hook in connection.run_on_commit):
        batch = batches[using] = Batch()
        transaction.on_commit(batch.flush, using=using, robust=True)
    return batch


class _Immediate(Batch):
    def note(self, item: Noted) -> None:
        super().note(item)
        try:
            self.flush()
        except Exception:  # never fail a save that has happened already
            log.exception("Webhook events for %s %s not recorded", item.type, item.pk)


def _note_listing(instance, *, using: str, created: bool = False, deleted: bool = False):
    before = None if created else getattr(instance, "_loaded_status", None) or instance.status
    noted = Noted(
        type=TYPE_OF[type(instance)],
        pk=instance.pk,
        uuid=str(instance.uuid),
        status=before,
        organization_id=getattr(instance, "organization_id", None),
        initiative_id=getattr(instance, "initiative_id", None),
        deleted=deleted,
    )
    _batch(using).note(noted)


def on_listing_saved(sender, instance, created, raw=False, using="default", **kwargs):
    if not raw:  # loaddata (a backup restored) announces nothing
        _note_listing(instance, using=using, created=created)


def on_listing_deleted(sender, instance, using="default", **kwargs):
    _note_listing(instance, using=using, deleted=True)


def on_taxonomy_changed(sender, instance, action, reverse, using="default", **kwargs):
    """Roles, goals, languages or networks changed: a change to the listing (not while a
    backup is restored: ``MPDB_TOUCH_ON_M2M``, as for the change feed)."""
    if not getattr(settings, "MPDB_TOUCH_ON_M2M", True):
        return
    changed = action in ("post_add", "post_remove", "post_clear")
    if changed and not reverse and type(instance) in TYPE_OF:
        _note_listing(instance, using=using)


def on_source_changed(sender, instance, raw=False, using="default", **kwargs):
    """A listing's sources are part of it (as in the change feed)."""
    listing = None if raw else instance.listing
    if listing is not None:
        _note_listing(listing, using=using)


def connect() -> None:
    """Called from ``DirectoryConfig.ready``."""
    for model in MODELS.values():
        signals.post_save.connect(on_listing_saved, sender=model, dispatch_uid=f"webhook-{model}")
        signals.post_delete.connect(
            on_listing_deleted, sender=model, dispatch_uid=f"webhook-del-{model}"
        )
        for field in ("roles", "goals", "languages", "networks"):
            if field == "networks" and model is not Organization:
                continue
            through = model._meta.get_field(field).remote_field.through
            signals.m2m_changed.connect(
                on_taxonomy_changed, sender=through, dispatch_uid=f"webhook-m2m-{through}"
            )
    for signal in (signals.post_save, signals.post_delete):
        signal.connect(on_source_changed, sender=SourceRecord, dispatch_uid=f"webhook-src-{signal}")


def _with_children(noted: dict[tuple[str, int], Noted]) -> dict[tuple[str, int], Noted]:
    """Add the initiatives and events of an organization (or initiative) whose status changed:
    they enter or leave the public set with it."""
    result = dict(noted)
    rows = {
        name: {
            row["pk"]: row["status"]
            for row in MODELS[name]
            .objects.filter(pk__in=[pk for kind, pk in noted if kind == name])
            .values("pk", "status")
        }
        for name in ("organization", "initiative")
    }
    parents = [
        item
        for item in noted.values()
        if item.type in rows and not item.deleted and rows[item.type].get(item.pk) != item.status
    ]
    for parent in parents:
        children = [("event", Event.objects.filter(**{f"{parent.type}_id": parent.pk}))]
        if parent.type == "organization":
            children.append(("initiative", Initiative.objects.filter(organization_id=parent.pk)))
        for name, queryset in children:
            fields = ["pk", "uuid", "status", "organization_id"]
            fields += ["initiative_id"] if name == "event" else []
            for row in queryset.filter(status=PUBLISHED).values(*fields):
                result.setdefault(
                    (name, row["pk"]),
                    Noted(
                        type=name,
                        pk=row["pk"],
                        uuid=str(row["uuid"]),
                        status=row["status"],
                        organization_id=row["organization_id"],
                        initiative_id=row.get("initiative_id"),
                    ),
                )
    return result


def announcements(noted: dict[tuple[str, int], Noted]) -> list[tuple[str, dict]]:
    """``(event name, change feed item)`` for every noted listing whose public state says so."""
    noted = _with_children(noted)
    now_rows: dict[tuple[str, int], dict] = {}
    wanted = {name: {pk for kind, pk in noted if kind == name} for name in MODELS}
    for item in noted.values():  # parents decide whether a child is public
        if item.organization_id:
            wanted["organization"].add(item.organization_id)
        if item.initiative_id:
            wanted["initiative"].add(item.initiative_id)
    for name, pks in wanted.items():
        fields = ["pk", "status", "updated_at"]
        fields += ["organization_id"] if name != "organization" else []
        fields += ["initiative_id"] if name == "event" else []
        for row in MODELS[name].objects.filter(pk__in=pks).values(*fields):
            now_rows[(name, row["pk"])] = row

    def status(name: str, pk: int | None, before: bool) -> str | None:
        if before and (name, pk) in noted:
            return noted[(name, pk)].status
        row = now_rows.get((name, pk))
        return row["status"] if row else None

    def public(item: Noted, before: bool) -> bool:
        if status(item.type, item.pk, before) != PUBLISHED:
            return False
        row = now_rows.get((item.type, item.pk), {})
        organization_id = row.get("organization_id", item.organization_id)
        initiative_id = row.get("initiative_id", item.initiative_id)
        if organization_id and status("organization", organization_id, before) != PUBLISHED:
            return False
        return not initiative_id or status("initiative", initiative_id, before) == PUBLISHED

    happened = []
    entered = {name: [] for name in MODELS}
    for item in noted.values():
        was = public(item, before=True)
        now = not item.deleted and public(item, before=False)
        if now:
            entered[item.type].append((item, was))
        elif was:
            row = now_rows.get((item.type, item.pk))
            removed_at = row["updated_at"] if row and not item.deleted else timezone.now()
            item_data = {"type": item.type, "id": item.uuid, "removed_at": removed_at}
            happened.append((NAMES[item.type][2], item_data))
    if any(entered.values()):
        from directory.api.changes import public_objects

        context = {"request": SiteRequest(settings.SITE_URL)}
        for name, items in entered.items():
            objects = public_objects(name, [item.uuid for item, _was in items], context)
            for item, was in items:
                data = objects.get(item.uuid)
                if data is None:  # gone meanwhile (another transaction): its own event follows
                    continue
                feed_item = {
                    "type": name,
                    "id": item.uuid,
                    "changed_at": now_rows[(name, item.pk)]["updated_at"],
                    "object": data,
                }
                happened.append((NAMES[name][1] if was else NAMES[name][0], feed_item))
    return happened


def payload(*, delivery_id: str, event: str, item: dict) -> str:
    """The body of a delivery: the event and the change feed's item (docs/api.md, "Webhooks")."""
    body = {"id": delivery_id, "event": event, "created_at": timezone.now(), "item": item}
    return json.dumps(body, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))


def deliveries_create(happened: list[tuple[str, dict]], endpoints) -> list[WebhookDelivery]:
    """One delivery per event and subscribed endpoint, and the task that sends it."""
    from directory.webhooks.tasks import deliver

    created = []
    with transaction.atomic():
        for endpoint in endpoints:
            for event, item in happened:
                if event not in endpoint.events:
                    continue
                delivery = WebhookDelivery(endpoint=endpoint, event=event)
                delivery.body = payload(delivery_id=str(delivery.uuid), event=event, item=item)
                delivery.save()
                created.append(delivery)
        for delivery in created:
            if not delivery.endpoint.is_paused:  # else it waits until the endpoint is resumed
                deliver.enqueue(delivery.pk)
    return created
