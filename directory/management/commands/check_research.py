"""Check the research set (fixtures/research/*.json) against the bar in docs/data.md."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from directory.services import research


class Command(BaseCommand):
    help = "Check fixtures/research/*.json against the bar (docs/data.md); list what falls short."

    def handle(self, *args, **options):
        found = research.ResearchSet.read()
        shortfalls = research.problems(found)
        for line in shortfalls:
            self.stdout.write(line)
        listings = [*found.organizations, *found.initiatives]
        states = Counter(r.get("state") for r in listings if r.get("state") and r.get("city"))
        roles = {slug for r in listings for slug in r.get("roles", [])}
        goals = {slug for r in listings for slug in r.get("goals", [])}
        sources = sum(len(r.get("sources", [])) for r in [*listings, *found.confirmations])
        self.stdout.write(
            f"{len(found.organizations)} organizations, {len(found.initiatives)} initiatives, "
            f"{len(states)} states with a placed listing, {len(roles)} roles, {len(goals)} goals, "
            f"{sources} sources"
        )
        if shortfalls:
            raise CommandError(f"{len(shortfalls)} problems")
