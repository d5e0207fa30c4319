"""For cron: ask members to confirm listings nobody verified for a year; archive those still
unconfirmed after a grace period, with a recorded reason. Safe to run any number of times."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Initiative, Membership, ModerationDecision, Organization
from directory.services.moderation import AlreadyDecided, decide
from directory.services.notify import language_for_email, send


class Command(BaseCommand):
    help = "E-mail members of listings unverified for 12 months; archive them after a grace period."

    def add_arguments(self, parser):
        parser.add_argument("--grace-days", type=int, default=30)
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, grace_days: int, base_url: str, **options):
        now = timezone.now()
        notified = archived = 0
        for model in (Organization, Initiative):
            for listing in model.objects.published().stale(now).iterator():
                if listing.stale_notice_sent_at is None or (
                    listing.last_verified_at
                    and listing.stale_notice_sent_at < listing.last_verified_at
                ):
                    sent = self._notify(listing, base_url)
                    # The clock starts only when someone was really asked. Listings nobody
                    # manages (e.g. from the paper) wait in the curators' stale queue instead.
                    if sent:
                        notified += sent
                        model.objects.filter(pk=listing.pk).update(stale_notice_sent_at=now)
                elif listing.stale_notice_sent_at < now - timedelta(days=grace_days):
                    try:
                        decide(
                            by=None,
                            target=listing,
                            action=ModerationDecision.Action.ARCHIVE,
                            reason_code=ModerationDecision.Reason.STALE,
                            reason=f"Not confirmed within {grace_days} days of asking the members.",
                        )
                    except AlreadyDecided:
                        continue
                    archived += 1
        self.stdout.write(f"{notified} members asked, {archived} listings archived")

    def _notify(self, listing, base_url: str) -> int:
        org = listing if isinstance(listing, Organization) else listing.organization
        emails = Membership.objects.filter(organization=org).values_list("user__email", flat=True)
        sent = 0
        for email in emails:
            sent += send(
                to=email,
                language=language_for_email(email),
                subject=_("Is “%(listing)s” still accurate?"),
                subject_params={"listing": listing},
                template="directory/email/stale.txt",
                context={"listing": listing, "link": base_url + reverse("directory:dashboard")},
                queue=False,  # not sent again alone: a listing nobody was asked about is asked tomorrow
            )
        return sent
