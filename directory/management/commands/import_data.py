"""Restore a backup written by export_data into an empty, migrated database."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from directory.models import Initiative, Organization
from directory.services.coverage import rebuild_counts


class Command(BaseCommand):
    help = "Load a backup made by export_data (the database must hold no listings yet)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path: str, **options):
        if Organization.objects.exists() or Initiative.objects.exists():
            raise CommandError(
                "The database already holds listings; restore only into an empty, migrated "
                "database (see README, Operations)."
            )
        # A restore reproduces the data as it was: no new history rows, no "touched" timestamps
        # from the many-to-many signals that loaddata fires.
        with override_settings(SIMPLE_HISTORY_ENABLED=False, MPDB_TOUCH_ON_M2M=False):
            call_command("loaddata", path, verbosity=0)
        rebuild_counts()  # coverage (not in the backup): counted from what was restored
        self.stdout.write(
            f"Restored {Organization.objects.count()} organizations and "
            f"{Initiative.objects.count()} initiatives from {path}"
        )
