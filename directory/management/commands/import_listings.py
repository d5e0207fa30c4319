"""Import organizations or initiatives from a CSV file: all rows or none."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.models import Status
from directory.services.imports import import_listings


class Command(BaseCommand):
    help = "Import listings from CSV (validates every row; imports nothing if any row is wrong)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["organizations", "initiatives"])
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--status", choices=[Status.PENDING, Status.PUBLISHED], default=Status.PENDING
        )

    def handle(self, *args, kind, path: Path, status: str, **options):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        result = import_listings(kind=kind, text=text, status=status, by=f"import of {path.name}")
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(f"Nothing imported: {len(result.errors)} problem(s) in {path.name}.")
        self.stdout.write(f"Imported {len(result.created)} {kind} as {status}.")
