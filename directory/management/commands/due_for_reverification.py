"""List published listings due for re-verification, with the sources to check them against.

The list a curator (or a volunteer) works through: open each source, confirm or correct the
listing, then press "Confirm accurate" on /curate/stale/ (or update its sources on
/curate/sources/…). Members of claimed listings are asked by ``process_stale_listings``.
"""

import csv

from django.core.management.base import BaseCommand

from directory.models import Initiative, Organization


class Command(BaseCommand):
    help = "List published listings not verified for a year, with their source URLs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--csv", action="store_true", dest="as_csv", help="Write CSV instead of text."
        )

    def handle(self, *args, as_csv: bool = False, **options):
        rows = []
        for model in (Organization, Initiative):
            due = model.objects.published().stale().prefetch_related("sources")
            for listing in due.order_by("last_verified_at", "slug"):
                rows.append(
                    (
                        model._meta.model_name,
                        listing.slug,
                        str(listing),
                        listing.last_verified_at.date().isoformat()
                        if listing.last_verified_at
                        else "",
                        [source.url for source in listing.sources.all()],
                    )
                )
        if as_csv:
            self._write_csv(rows)
        else:
            for kind, slug, name, verified, urls in rows:
                self.stdout.write(f"{kind} {slug} ({name}), last verified {verified or 'never'}")
                for url in urls or ["(no source: find one)"]:
                    self.stdout.write(f"    {url}")
            self.stdout.write(f"{len(rows)} listings due for re-verification")

    def _write_csv(self, rows) -> None:
        writer = csv.writer(self.stdout)
        writer.writerow(["kind", "slug", "name", "last_verified", "sources"])
        for kind, slug, name, verified, urls in rows:
            writer.writerow([kind, slug, name, verified, " ".join(urls)])
