"""For cron, daily: e-mail every curator what is waiting."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.services.moderation import waiting_counts
from directory.services.notify import language_of, send


class Command(BaseCommand):
    help = "E-mail curators a digest of the moderation queue."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url: str = "http://127.0.0.1:8000", **options):
        counts = waiting_counts()
        if not any(counts.values()):
            self.stdout.write("Nothing waiting; no digest sent.")
            return
        curators = (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(Q(groups__name="Curators") | Q(is_superuser=True))
            .exclude(email="")
            .distinct()
        )
        sent = sum(
            send(
                to=user.email,
                subject=_("What is waiting for curators"),
                language=language_of(user),
                template="directory/email/digest.txt",
                context={"counts": counts, "link": base_url.rstrip("/") + "/curate/queue/"},
            )
            for user in curators
        )
        self.stdout.write(f"Digest sent to {sent} curators.")
