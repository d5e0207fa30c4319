"""For cron, every few minutes: send again the e-mails the mail server refused."""

from django.core.management.base import BaseCommand

from directory.models import OutgoingMail
from directory.outbox import send_due


class Command(BaseCommand):
    help = (
        "Send the e-mails waiting in the outbox whose next attempt is due (backing off after "
        "each refusal; given up after OUTBOX_MAX_ATTEMPTS attempts)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=500, help="At most this many messages per run."
        )

    def handle(self, *args, limit: int = 500, **options):
        counts = send_due(limit=limit)
        waiting = OutgoingMail.objects.filter(state=OutgoingMail.State.QUEUED).count()
        failed = OutgoingMail.objects.filter(state=OutgoingMail.State.FAILED).count()
        self.stdout.write(
            f"{counts['sent']} sent, {counts['retry']} refused again (will retry), "
            f"{counts['failed']} given up; {waiting} waiting, {failed} given up in all"
        )
