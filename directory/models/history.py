"""The history of listings and events (django-simple-history), with one index of our own."""

from django.db import models
from simple_history.models import HistoricalRecords


class ListingHistory(HistoricalRecords):
    """django-simple-history's records, plus an index of the deletions alone, by time.

    The change feed (``directory.api.changes``) asks on every page for the deletions after a
    time, in (``history_date``, ``uuid``) order. With only simple-history's index on
    ``history_date``, PostgreSQL walked every edit since that time to find the few deletions
    among them: a mirror's first full sync read the whole history again on each page."""

    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        removed = models.Index(
            fields=["history_date", "uuid"],
            condition=models.Q(history_type="-"),
            name=f"{model._meta.model_name[:8]}_hist_removed",
        )
        meta["indexes"] = [*meta.get("indexes", ()), removed]
        return meta
