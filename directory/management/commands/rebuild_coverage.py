"""Count the coverage cells again from the listings, and say how many the triggers had wrong.

The database keeps the counts current by itself (``directory.models.coverage``); this is for
after a bulk load made with the triggers turned off, and as a check: on a healthy database it
reports 0 cells changed. Writers wait while it counts (seconds at a million listings). On
PostgreSQL it also turns back on coverage triggers that a bulk load stopped half-way left off,
and those of the listings' arrays of terms (the facets' counts), and checks those arrays
against the links, writing again any that differ (``directory.services.facet_terms``).
"""

from django.core.management.base import BaseCommand
from django.db import connection

from directory.models import CoverageCount
from directory.services import facet_terms
from directory.services.coverage import rebuild_counts, switch_triggers, triggers


class Command(BaseCommand):
    help = "Count the coverage cells again from the listings; report how many differed."

    def handle(self, *args, **options):
        off = triggers(only_off=True)
        switch_triggers(off, on=True)
        if off:
            self.stdout.write(
                f"{len(off)} coverage triggers were turned off (a bulk load stopped half-way?):"
                " turned on again."
            )
        arrays_off = facet_terms.triggers(only_off=True)
        switch_triggers(arrays_off, on=True)
        if arrays_off:
            self.stdout.write(
                f"{len(arrays_off)} triggers of the listings' arrays of terms were turned off:"
                " turned on again."
            )
        if facet_terms.available(connection):
            rewritten = facet_terms.rebuild()
            self.stdout.write(
                f"Listings' arrays of terms (the facets' counts): {rewritten:,} differed from"
                " their links and were written again (initiatives and organizations)."
            )
        differed = rebuild_counts()
        self.stdout.write(
            f"{CoverageCount.objects.exclude(n=0).count():,} cells counted; "
            f"{differed:,} differed from what the triggers had kept."
        )
