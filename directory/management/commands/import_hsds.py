"""Import an HSDS 3.0 data package (JSON, or a zip of its CSV files): all of it or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.hsds.importer import import_hsds
from directory.hsds.package import PackageError, read_package
from directory.models import Source


class Command(BaseCommand):
    help = (
        "Import organizations and services from an HSDS 3.0 package as pending listings "
        "(checks every record; imports nothing if any is wrong)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--partner",
            action="store_true",
            help="Record the listings as submitted by a partner site (default: imported).",
        )

    def handle(self, *args, path: Path, partner: bool, **options):
        try:
            data = read_package(path.read_bytes(), path.name)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except PackageError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        try:
            result = import_hsds(
                data,
                by=f"import of {path.name}",
                source=Source.PARTNER if partner else Source.IMPORT,
            )
        except PackageError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(f"Nothing imported: {len(result.errors)} problem(s) in {path.name}.")
        for new, existing in result.duplicates:
            self.stdout.write(
                f"Possible duplicate: “{new}” ({new.slug}) of “{existing}” ({existing.slug})"
            )
        self.stdout.write(
            f"Imported {len(result.created)} listings as pending "
            f"({len(result.duplicates)} possible duplicates, {result.skipped} records not kept)."
        )
