"""Write the published directory as one HSDS 3.0 package, JSON or CSV files (docs/hsds.md)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.hsds.export import export_package
from directory.hsds.tabular import write_zip


class Command(BaseCommand):
    help = "Export published organizations, their services and our taxonomies as HSDS 3.0 JSON."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="A file to write (default: stdout).")
        parser.add_argument("--base-url", default=None, help="Site address (default SITE_URL).")
        parser.add_argument(
            "--csv",
            action="store_true",
            help="The tabular form: a zip of HSDS CSV files (needs --output).",
        )

    def handle(self, *args, output: Path | None, base_url: str | None, csv: bool, **options):
        if csv:
            if not output:
                raise CommandError("--csv writes a zip: give --output.")
            output.write_bytes(write_zip(export_package(base_url)))
            return
        text = json.dumps(export_package(base_url), ensure_ascii=False, indent=2) + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
