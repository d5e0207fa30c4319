"""Synthetic organizations and initiatives for load tests; ``--remove`` deletes them again.

    manage.py generate_synthetic --initiatives 1000000 [--organizations 100000] [--seed 1]
    manage.py generate_synthetic --remove

Rows are marked ``is_demo`` with a ``synthetic-`` slug (see directory/dev/synthetic.py); removal
deletes only rows with both markers, so real listings and the demo examples stay.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from directory.caching import bump_data_version
from directory.dev.synthetic import Plan, generate, remove_synthetic


class Command(BaseCommand):
    help = "Generate clearly marked synthetic listings for load tests (or --remove them)."

    def add_arguments(self, parser):
        parser.add_argument("--initiatives", type=int, default=0, help="How many initiatives.")
        parser.add_argument(
            "--organizations",
            type=int,
            default=None,
            help="How many organizations (default: one per 10 initiatives).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)."
        )
        parser.add_argument("--chunk", type=int, default=20000, help="Rows per COPY/commit.")
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="PostgreSQL: keep the listing tables' indexes during a big load (slower).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="PostgreSQL: processes writing at once (default 2).",
        )
        parser.add_argument("--remove", action="store_true", help="Delete all synthetic rows.")

    def handle(
        self,
        *args,
        initiatives: int,
        organizations,
        seed: int,
        chunk: int,
        remove: bool,
        keep_indexes: bool = False,
        workers: int = 2,
        **options,
    ):
        log = self.stdout.write
        if remove:
            removed = remove_synthetic(log=log)
            bump_data_version()  # cached counts and facets must not show the removed rows
            log(
                f"Removed {removed['initiatives']:,} synthetic initiatives and "
                f"{removed['organizations']:,} synthetic organizations."
            )
            return
        if initiatives < 0 or (organizations is not None and organizations < 0):
            raise CommandError("Counts must not be negative.")
        if organizations is None:
            organizations = max(1, initiatives // 10)
        if initiatives and not organizations:
            raise CommandError("Initiatives need at least one organization.")
        method = "COPY" if connection.vendor == "postgresql" else "bulk_create"
        log(
            f"Generating {organizations:,} organizations and {initiatives:,} initiatives "
            f"on {connection.vendor} ({method}, chunks of {chunk:,}, seed {seed})"
        )
        try:
            report = generate(
                Plan(
                    initiatives=initiatives,
                    organizations=organizations,
                    seed=seed,
                    chunk=chunk,
                    drop_indexes=not keep_indexes,
                ),
                log=log,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        bump_data_version()  # COPY sends no signals: invalidate cached counts and facets here
        rows = report.organizations + report.initiatives
        log(
            f"Done: {report.organizations:,} organizations, {report.initiatives:,} initiatives, "
            f"{report.links:,} role/goal/network links in {report.seconds:.1f} s "
            f"({rows / report.seconds if report.seconds else 0:,.0f} listings/s); "
            + ", ".join(f"{k} {v:.1f} s" for k, v in report.phases.items())
        )
