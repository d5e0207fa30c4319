"""Add clearly labelled *example* initiatives over real ZIP codes, so search and the map have
something to show in a demo. Idempotent: existing example entries are left alone.

Every object made here has ``is_demo=True``; pages label them "Example entry", and
``--remove`` deletes them (and nothing else).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from directory.models import Initiative, Organization, Scope, Source, Status
from directory.search.geo import lookup_zip
from goals.models import Goal
from roles.models import Role

# (ZIP, city as we name it in the demo). Real ZIP codes; the place comes from the ZIP.
PLACES = [
    ("80302", "Boulder"),
    ("80202", "Denver"),
    ("60601", "Chicago"),
    ("10001", "New York"),
    ("90012", "Los Angeles"),
    ("30303", "Atlanta"),
    ("78701", "Austin"),
    ("98101", "Seattle"),
    ("27401", "Greensboro"),
    ("55401", "Minneapolis"),
    ("85004", "Phoenix"),
    ("19107", "Philadelphia"),
    ("02108", "Boston"),
    ("33130", "Miami"),
    ("64106", "Kansas City"),
    ("84111", "Salt Lake City"),
    ("97204", "Portland"),
    ("37203", "Nashville"),
    ("48226", "Detroit"),
    ("87102", "Albuquerque"),
    ("68102", "Omaha"),
    ("05401", "Burlington"),
    ("83702", "Boise"),
    ("70112", "New Orleans"),
]

# (title, summary, how to get involved, role slugs, goal slugs, welcomes newcomers)
ACTIVITIES = [
    (
        "Neighborhood conversation circles",
        "Small, facilitated conversations where neighbors who vote differently talk about local issues and listen to each other.",
        "Come to a monthly circle; no experience needed. Volunteers can train as hosts.",
        ["bridge-builders", "facilitators"],
        ["communication-and-problem-solving", "respect-for-identity-groups"],
        True,
    ),
    (
        "Poll worker recruitment drive",
        "Recruits and prepares residents to staff polling places so that every election runs smoothly.",
        "Sign up for a two-hour training session and choose an election day shift.",
        ["civic-participants", "civic-skill-builders"],
        ["electoral-integrity"],
        True,
    ),
    (
        "Community mediation clinic",
        "Free mediation for disputes between neighbors, tenants and landlords, and local groups, run by trained volunteers.",
        "Bring a dispute, or apply for the volunteer mediator training held twice a year.",
        ["mediators", "conciliators"],
        ["compromise", "communication-and-problem-solving"],
        True,
    ),
    (
        "Local news fact-check desk",
        "A small team that checks claims circulating in local politics and publishes plain-language explainers.",
        "Send in a claim you want checked, or volunteer as a researcher.",
        ["disinformation-fighters", "technical-reporters"],
        ["bad-faith-actors", "communication-and-problem-solving"],
        False,
    ),
    (
        "Youth civics workshop series",
        "Hands-on workshops where high-school students practise deliberation, negotiation and local government processes.",
        "Mentors with any background are welcome; sessions run on Saturday mornings.",
        ["civic-skill-builders", "conflict-educators"],
        ["communication-and-problem-solving"],
        True,
    ),
    (
        "Cross-partisan town hall",
        "A quarterly public forum co-hosted by residents from different political traditions, focused on one local problem at a time.",
        "Attend, suggest a topic, or join the planning team.",
        ["convenors", "facilitators"],
        ["compromise", "limit-partisanship"],
        True,
    ),
    (
        "De-escalation training for community leaders",
        "Practical training in calming tense situations for faith leaders, coaches, librarians and other trusted local figures.",
        "Register for an evening workshop; scholarships are available.",
        ["escalation-educators", "conflict-trainers"],
        ["communication-and-problem-solving"],
        True,
    ),
    (
        "Shared history and reconciliation project",
        "Collects and shares local stories of past conflict and harm, and hosts gatherings that help the community acknowledge them.",
        "Share a story, help record interviews, or attend a community gathering.",
        ["healers", "peacebuilders"],
        ["reconciliation"],
        True,
    ),
    (
        "Accessible voting volunteers",
        "Helps voters with disabilities, older voters and first-time voters understand how and where to vote.",
        "Volunteer as a phone helper or a ride coordinator around election time.",
        ["civic-participants", "empowerment-leaders"],
        ["electoral-integrity", "respect-for-identity-groups"],
        True,
    ),
    (
        "Civic data dashboard",
        "Publishes clear, sourced data on local budgets, services and outcomes so that debates start from shared facts.",
        "Data and design volunteers can join the monthly build night.",
        ["technical-experts", "evaluators"],
        ["communication-and-problem-solving"],
        False,
    ),
    (
        "Interfaith and neighbor dinner series",
        "Monthly shared meals that bring together people of different faiths, backgrounds and politics.",
        "Reserve a seat, or host a table at your home or place of worship.",
        ["bridge-builders", "bubble-bursters"],
        ["respect-for-identity-groups", "reconciliation"],
        True,
    ),
    (
        "Community tension early-warning network",
        "Local volunteers and organizations who watch for rising tensions and alert responders before conflicts escalate.",
        "Partner organizations can join the network; individuals can take the observer training.",
        ["conflict-early-warners", "crisis-responders"],
        ["communication-and-problem-solving"],
        False,
    ),
]


class Command(BaseCommand):
    help = "Add labelled example initiatives over real ZIP codes for the demo (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--remove", action="store_true", help="Delete all example entries.")

    def handle(self, *args, remove: bool = False, **options):
        if remove:
            removed, kept = remove_demo()
            self.stdout.write(f"Removed {removed} example rows; kept {kept} that real data uses.")
            return
        created = seed_demo()
        self.stdout.write(f"demo: {created} example initiatives created")


@transaction.atomic
def remove_demo() -> tuple[int, int]:
    """Delete the example listings, and nothing else: an example organization that real work
    now hangs on (a real initiative or event, or a member) stays, as does a real event of an
    example initiative (it loses only the link). Returns (rows removed, example rows kept)."""
    from directory.models import Event

    removed = Event.objects.filter(is_demo=True).delete()[1].get("directory.Event", 0)
    removed += Initiative.objects.filter(is_demo=True).delete()[1].get("directory.Initiative", 0)
    examples = Organization.objects.filter(is_demo=True)
    kept = examples.filter(
        models.Q(initiatives__isnull=False)
        | models.Q(events__isnull=False)
        | models.Q(memberships__isnull=False)
    ).distinct()
    kept_ids = list(kept.values_list("pk", flat=True))
    removed += examples.exclude(pk__in=kept_ids).delete()[1].get("directory.Organization", 0)
    return removed, len(kept_ids)


@transaction.atomic
def seed_demo() -> int:
    roles = {r.slug: r for r in Role.objects.all()}
    goals = {g.slug: g for g in Goal.objects.all()}
    if not roles or not goals:
        raise RuntimeError("Load the taxonomy first (manage.py seed).")
    now = timezone.now()
    created = 0
    for index, (zip_code, city) in enumerate(PLACES):
        place = lookup_zip(zip_code)
        if place is None:
            raise RuntimeError(f"Demo ZIP {zip_code} is not in the zipcodes data.")
        org, _ = Organization.objects.get_or_create(
            slug=slugify(f"{city} civic commons example"),
            defaults={
                "name": f"{city} Civic Commons (example)",
                "summary": f"A made-up local organization in {city}, used to demonstrate the directory.",
                "postal_code": zip_code,
                "scope": Scope.LOCAL,
                "status": Status.PUBLISHED,
                "source": Source.CURATOR,
                "is_demo": True,
                "published_at": now - timedelta(days=60 + index),
                "last_verified_at": now,
            },
        )
        for offset in (0, 1):
            title, summary, involved, role_slugs, goal_slugs, newcomers = ACTIVITIES[
                (2 * index + offset) % len(ACTIVITIES)
            ]
            slug = slugify(f"{title} {city} example")
            if Initiative.objects.filter(slug=slug).exists():
                continue
            initiative = Initiative(
                slug=slug,
                organization=org,
                title=f"{title} ({city})",
                summary=summary,
                get_involved=involved,
                welcomes_newcomers=newcomers,
                postal_code=zip_code,
                scope=Scope.LOCAL,
                status=Status.PUBLISHED,
                source=Source.CURATOR,
                is_demo=True,
                published_at=now - timedelta(days=2 * index + offset),
                last_verified_at=now,
            )
            initiative._change_reason = "Example entry added by seed_demo"
            initiative.save()
            initiative.roles.set([roles[s] for s in role_slugs])
            initiative.goals.set([goals[s] for s in goal_slugs])
            created += 1
        if index < 12:
            _demo_event(org, index, now, roles, goals)
    return created


EVENT_TITLES = [
    ("Community conversation night", "in_person"),
    ("Facilitator training", "hybrid"),
    ("Online dialogue across the divide", "online"),
    ("Civic service morning", "in_person"),
]


def _demo_event(org, index: int, now, roles, goals) -> None:
    """One labelled example event a few days to weeks ahead, at 6 pm local time."""
    from zoneinfo import ZoneInfo

    from directory.models import Event
    from directory.search.geo import zip_timezone

    title, mode = EVENT_TITLES[index % len(EVENT_TITLES)]
    slug = slugify(f"{title} {org.city} example")
    if Event.objects.filter(slug=slug).exists():
        return
    zone = ZoneInfo(zip_timezone(org.postal_code) or "America/New_York")
    day = (now + timedelta(days=3 + 4 * index)).astimezone(zone)
    start = day.replace(hour=18, minute=0, second=0, microsecond=0)
    event = Event(
        slug=slug,
        organization=org,
        title=f"{title} ({org.city})",
        summary="A made-up example event, to show how the calendar works.",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone=str(zone),
        mode=mode,
        postal_code="" if mode == "online" else org.postal_code,
        scope=Scope.ONLINE if mode == "online" else Scope.LOCAL,
        join_url="https://example.org/join" if mode != "in_person" else "",
        cost="Free",
        status=Status.PUBLISHED,
        source=Source.CURATOR,
        is_demo=True,
        published_at=now,
        last_verified_at=now,
    )
    event._change_reason = "Example entry added by seed_demo"
    event.save()
    event.roles.set([roles["bridge-builders"], roles["facilitators"]])
    event.goals.set([goals["communication-and-problem-solving"]])
