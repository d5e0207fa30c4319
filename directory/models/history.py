"""The history of listings and events (django-simple-history), with one index of our own."""

from django.db import models
from simple_history.models import HistoricalRecords
from simple_history.signals import (
    post_create_historical_m2m_records,
    pre_create_historical_m2m_records,
)


class ListingHistory(HistoricalRecords):
    """django-simple-history's records, plus an index of the deletions alone, by time.

    The change feed (``directory.api.changes``) asks on every page for the deletions after a
    time, in (``history_date``, ``uuid``) order. With only simple-history's index on
    ``history_date``, PostgreSQL walked every edit since that time to find the few deletions
    among them: a mirror's first full sync read the whole history again on each page.

    Each record also copies the listing's links (roles, goals, languages) the way
    simple-history does, but from plain rows: simple-history rebuilt the listing from its
    record once per link table and read every link with its listing and term joined, as model
    instances, to copy three numbers (about 30 ms a save on a slow machine; every save of a
    listing by a curator, a member or a test pays it)."""

    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        removed = models.Index(
            fields=["history_date", "uuid"],
            condition=models.Q(history_type="-"),
            name=f"{model._meta.model_name[:8]}_hist_removed",
        )
        meta["indexes"] = [*meta.get("indexes", ()), removed]
        return meta

    def create_historical_record_m2ms(self, history_instance, instance):
        for field in history_instance._history_m2m_fields:
            copy = self.m2m_models[field]
            through = field.remote_field.through
            names = [f.attname for f in through._meta.fields]  # id and both ends' ids
            rows = through.objects.filter(**{field.m2m_field_name(): instance}).values(*names)
            insert_rows = [copy(history=history_instance, **row) for row in rows]
            about = {"history_instance": history_instance, "instance": instance, "field": field}
            pre_create_historical_m2m_records.send(sender=copy, rows=insert_rows, **about)
            created_rows = copy.objects.bulk_create(insert_rows)
            post_create_historical_m2m_records.send(sender=copy, created_rows=created_rows, **about)
