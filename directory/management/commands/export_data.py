"""Back up everything the directory holds as one JSON file (restore with import_data).

Taxonomy, listings (organizations, initiatives, events), memberships, claims, change requests,
reports, moderation decisions, alerts, accounts and verified e-mail addresses, partner API keys
and the full history of every listing. Content types, permissions and groups are recreated by
`migrate`, so they are referred to by natural key; everything else keeps its primary key, and is
referred to by it (``directory/backup_json.py``). The
coverage counts are left out: the database keeps them, and import_data counts them again.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand

APPS = [
    "goals",
    "roles",
    "directory",
    "auth.user",
    "account.emailaddress",
    "rest_framework_api_key",
]


class Command(BaseCommand):
    help = "Write a complete backup of the directory's data to a JSON file."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Where to write the backup (e.g. backup.json).")

    def handle(self, *args, path: str, **options):
        call_command(
            "dumpdata",
            *APPS,
            exclude=["directory.CoverageCount", "directory.CoverageChange"],
            natural_foreign=True,  # for what migrate creates again only (directory/backup_json.py)
            format="backup",
            output=path,
            verbosity=0,
        )
        self.stdout.write(f"Backup written to {path}")
