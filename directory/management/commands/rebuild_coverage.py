"""Count the coverage cells again from the listings, and say how many the triggers had wrong.

The database keeps the counts current by itself (``directory.models.coverage``); this is for
after a bulk load made with the triggers turned off, and as a check: on a healthy database it
reports 0 cells changed.
"""

from django.core.management.base import BaseCommand

from directory.models import CoverageCount
from directory.services.coverage import fold_changes, rebuild_counts


def _cells() -> dict:
    return {
        (c.state, c.scope, c.kind, c.role_id, c.goal_id): c.n
        for c in CoverageCount.objects.exclude(n=0)
    }


class Command(BaseCommand):
    help = "Count the coverage cells again from the listings; report how many differed."

    def handle(self, *args, **options):
        folded = fold_changes()
        before = _cells()
        rebuild_counts()
        after = _cells()
        changed = sum(before.get(key) != after.get(key) for key in before.keys() | after.keys())
        self.stdout.write(
            f"{len(after):,} cells counted ({folded:,} pending changes folded first); "
            f"{changed:,} differed from what the triggers had kept."
        )
        return None
