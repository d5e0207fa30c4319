"""Removing exactly the synthetic rows (both markers must match)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q

from directory.dev.synthetic.vocabulary import SLUG_PREFIX
from directory.dev.synthetic.writing import progress
from directory.models import Initiative, Organization
from directory.services.coverage import fold_changes

# --- removal ----------------------------------------------------------------------------------


def synthetic_q() -> Q:
    """Both markers: an example entry *and* a ``synthetic-`` slug."""
    return Q(is_demo=True, slug__startswith=SLUG_PREFIX)


def remove_synthetic(batch: int = 50000, log: Callable[[str], None] = print) -> dict[str, int]:
    """Delete every synthetic row (and only those), in batches, without per-row signals.

    Link rows are deleted directly (the coverage triggers count them out, folded after each
    batch); the rare rows of other tables that point at a synthetic
    listing (a report, a change request, an event someone attached) get their model's own
    ``on_delete`` treatment through the ORM; history rows of synthetic listings go too.
    """
    removed = {"initiatives": 0, "organizations": 0}
    started = time.monotonic()
    for model, key in ((Initiative, "initiatives"), (Organization, "organizations")):
        while True:
            with transaction.atomic():
                # One batch, as a subquery every statement of this transaction repeats.
                ids = model.objects.filter(synthetic_q()).order_by("pk").values("pk")[:batch]
                _delete_dependents(model, ids)
                model.history.filter(id__in=ids).delete()
                deleted = model.objects.filter(pk__in=ids)._raw_delete(model.objects.db)
            # The coverage triggers wrote a change per cell the batch left: counted now, so
            # that they never pile up into millions for the next read to add up.
            fold_changes()
            if not deleted:
                break
            removed[key] += deleted
            progress(log, f"removed {key}", removed[key], removed[key], started)
    return removed


def _delete_dependents(model, ids) -> None:
    from django.db import models as m

    for rel in model._meta.related_objects:
        related = rel.related_model
        if rel.many_to_many:  # e.g. networks' "members" (the reverse side of a self m2m)
            through = rel.through
            for f in through._meta.concrete_fields:
                if f.is_relation and f.related_model is model:
                    through.objects.filter(**{f"{f.attname}__in": ids})._raw_delete(
                        through.objects.db
                    )
            continue
        if rel.field.name.startswith("history") or related.__name__.startswith("Historical"):
            continue
        lookup = {f"{rel.field.attname}__in": ids}
        qs = related._base_manager.filter(**lookup)
        if related._meta.auto_created:  # an m2m link table of this model
            qs._raw_delete(qs.db)
        elif rel.on_delete is m.CASCADE:
            qs.delete()
        elif rel.on_delete is m.SET_NULL:
            qs.update(**{rel.field.attname: None})
        elif qs.exists():
            raise RuntimeError(
                f"{qs.count()} {related._meta.verbose_name_plural} point at synthetic "
                f"{model._meta.verbose_name_plural}; remove them first."
            )
    for f in model._meta.many_to_many:
        through = f.remote_field.through
        owner = next(x for x in through._meta.concrete_fields if x.related_model is model)
        through.objects.filter(**{f"{owner.attname}__in": ids})._raw_delete(through.objects.db)
