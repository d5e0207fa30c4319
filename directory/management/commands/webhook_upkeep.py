"""Queue again the webhook deliveries nothing will send, and forget old finished ones (cron:
every ten minutes; docs/api.md, "Webhooks")."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from directory.webhooks.upkeep import upkeep


class Command(BaseCommand):
    help = (
        "Queue again pending webhook deliveries whose attempt never finished or whose task never "
        "ran; delete delivered and given-up deliveries older than --keep-days."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stuck-after",
            type=int,
            default=15,
            help="minutes after which an unfinished attempt or an overdue task counts as lost "
            "(default 15; an attempt lasts at most WEBHOOK_TIMEOUT seconds)",
        )
        parser.add_argument(
            "--keep-days",
            type=int,
            default=30,
            help="days a delivered or given-up delivery stays in the log (default 30)",
        )

    def handle(self, *args, stuck_after: int, keep_days: int, **options):
        if stuck_after < 1 or keep_days < 1:
            raise CommandError("--stuck-after and --keep-days must be at least 1.")
        done = upkeep(stuck_after=timedelta(minutes=stuck_after), keep=timedelta(days=keep_days))
        self.stdout.write(
            f"{done.requeued} stuck deliveries queued again; "
            f"{done.forgotten} finished deliveries older than {keep_days} days forgotten"
        )
