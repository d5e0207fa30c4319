"""For cron (e.g. hourly): queue an e-mail for every alert that is due. `db_worker` sends them."""

from django.core.management.base import BaseCommand

from directory.services.alerts import due_alerts, send_alert


class Command(BaseCommand):
    help = "Queue the saved-search alerts that are due (daily or weekly)."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url: str, **options):
        alerts = due_alerts()
        for alert in alerts:
            send_alert.enqueue(alert.pk, base_url.rstrip("/"))
        self.stdout.write(f"{len(alerts)} alerts queued")
