"""Count the coverage cells again from the listings, and say how many the triggers had wrong.

The database keeps the counts current by itself (``directory.models.coverage``); this is for
after a bulk load made with the triggers turned off, and as a check: on a healthy database it
reports 0 cells changed. Writers wait while it counts (seconds at a million listings). On
PostgreSQL it also turns back on coverage triggers that a bulk load stopped half-way left off.
"""

from django.core.management.base import BaseCommand
from django.db import connection

from directory.models import CoverageCount
from directory.services.coverage import rebuild_counts


def _triggers_left_off() -> list[tuple[str, str]]:
    """(table, trigger) of the coverage triggers turned off (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            r"""SELECT tgrelid::regclass::text, tgname FROM pg_trigger
                WHERE tgname LIKE 'coverage\_%' AND NOT tgisinternal AND tgenabled = 'D'"""
        )
        return cursor.fetchall()


class Command(BaseCommand):
    help = "Count the coverage cells again from the listings; report how many differed."

    def handle(self, *args, **options):
        off = _triggers_left_off()
        with connection.cursor() as cursor:
            for table, trigger in off:
                cursor.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{trigger}"')
        if off:
            self.stdout.write(
                f"{len(off)} coverage triggers were turned off (a bulk load stopped half-way?):"
                " turned on again."
            )
        differed = rebuild_counts()
        self.stdout.write(
            f"{CoverageCount.objects.exclude(n=0).count():,} cells counted; "
            f"{differed:,} differed from what the triggers had kept."
        )
