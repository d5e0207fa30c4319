"""Synthetic organizations and initiatives for load tests (``manage.py generate_synthetic``).

Every row made here is unmistakably synthetic: ``is_demo=True`` (the site labels it "Example
entry", the API says ``"is_demo": true``), its slug starts with ``synthetic-``, and its
description ends with a sentence saying it is synthetic. :func:`remove_synthetic` deletes
exactly those rows (both markers must match), so real listings and the demo examples of
``seed_demo`` are never touched.

Places are real ZIP codes (the offline ``zipcodes`` data), picked with the weight of their
state's population, with the ZIP's real coordinates. Text is assembled from word lists with a
long-tailed vocabulary, so full-text search has common words (``community``) and rare ones
(``marimba``).

Writing: on PostgreSQL rows go in with ``COPY``, in chunks, each committed, so memory stays
flat. The search-vector triggers fire on COPY, so ``search_vector`` is filled as rows arrive
(that trigger is most of the cost). Two worker processes write at once (one per core), each
making its next chunk in a helper thread while the database ingests the current one; a big load
(``BULK_INDEX_THRESHOLD`` rows or more) drops the listing tables' plain indexes first and
rebuilds them once at the end (constraint indexes stay), then runs ``VACUUM ANALYZE``. On other
databases (SQLite, for tests and small runs) ``bulk_create`` in batches, in-process.
"""

from __future__ import annotations

import functools
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q

from directory.models import Initiative, Organization, Scope, Source, Status
from goals.models import Goal
from roles.models import Role

SLUG_PREFIX = "synthetic-"
MARKER_SENTENCE = "Synthetic entry generated for load testing; not a real initiative."
ORG_MARKER_SENTENCE = "Synthetic entry generated for load testing; not a real organization."
SOURCE = Source.IMPORT
#: loads at least this big rebuild the listing tables' plain indexes afterwards (PostgreSQL)
BULK_INDEX_THRESHOLD = 100_000

# Resident population by state, 2020 U.S. Census (public figures): the weight of each state.
STATE_POPULATION = {
    "AL": 5024279,
    "AK": 733391,
    "AZ": 7151502,
    "AR": 3011524,
    "CA": 39538223,
    "CO": 5773714,
    "CT": 3605944,
    "DE": 989948,
    "DC": 689545,
    "FL": 21538187,
    "GA": 10711908,
    "HI": 1455271,
    "ID": 1839106,
    "IL": 12812508,
    "IN": 6785528,
    "IA": 3190369,
    "KS": 2937880,
    "KY": 4505836,
    "LA": 4657757,
    "ME": 1362359,
    "MD": 6177224,
    "MA": 7029917,
    "MI": 10077331,
    "MN": 5706494,
    "MS": 2961279,
    "MO": 6154913,
    "MT": 1084225,
    "NE": 1961504,
    "NV": 3104614,
    "NH": 1377529,
    "NJ": 9288994,
    "NM": 2117522,
    "NY": 20201249,
    "NC": 10439388,
    "ND": 779094,
    "OH": 11799448,
    "OK": 3959353,
    "OR": 4237256,
    "PA": 13002700,
    "RI": 1097379,
    "SC": 5118425,
    "SD": 886667,
    "TN": 6910840,
    "TX": 29145505,
    "UT": 3271616,
    "VT": 643077,
    "VA": 8631393,
    "WA": 7705281,
    "WV": 1793716,
    "WI": 5893718,
    "WY": 576851,
    "PR": 3285874,
    "GU": 153836,
    "VI": 87146,
    "AS": 49710,
    "MP": 47329,
}

INITIATIVE_STATUSES = [
    (Status.PUBLISHED, 85),
    (Status.PENDING, 6),
    (Status.ARCHIVED, 5),
    (Status.REJECTED, 4),
]
ORGANIZATION_STATUSES = [
    (Status.PUBLISHED, 92),
    (Status.PENDING, 4),
    (Status.ARCHIVED, 3),
    (Status.REJECTED, 1),
]
SCOPES = [
    (Scope.LOCAL, 60),
    (Scope.STATE, 15),
    (Scope.REGIONAL, 10),
    (Scope.NATIONAL, 10),
    (Scope.ONLINE, 5),
]

# --- words --------------------------------------------------------------------------------

PREFIXES = [
    "Neighborhood",
    "Community",
    "Youth",
    "Statewide",
    "Rural",
    "Downtown",
    "Interfaith",
    "Veterans'",
    "Student",
    "Library",
    "Civic",
    "County",
    "Regional",
    "Open-door",
    "Family",
    "Main Street",
    "Campus",
    "Tribal",
    "Riverside",
    "Northside",
    "Southside",
    "Faith-based",
    "Multilingual",
    "Senior",
    "First-time",
    "Workplace",
    "Online",
    "Citywide",
    "Village",
    "Cross-partisan",
]
ACTIVITIES = [
    "conversation circles",
    "mediation clinic",
    "poll worker drive",
    "fact-check desk",
    "civics workshops",
    "town hall series",
    "de-escalation training",
    "story project",
    "voter help line",
    "data dashboard",
    "dinner series",
    "early-warning network",
    "listening sessions",
    "deliberation forum",
    "budget assembly",
    "bridge-building retreat",
    "dialogue training",
    "election observers",
    "media literacy lab",
    "reconciliation project",
    "citizens' assembly",
    "leadership fellowship",
    "debate league",
    "restorative circles",
    "school board forum",
    "neighbor mediation",
    "rumor control team",
    "redistricting watch",
    "volunteer corps",
    "podcast",
    "newsletter",
    "speaker series",
    "study circles",
    "peace walks",
    "coalition",
    "legal clinic",
    "oral history archive",
    "public art project",
    "civic hackathon",
    "mentoring program",
]
AUDIENCES = [
    "neighbors",
    "young voters",
    "veterans",
    "new citizens",
    "students",
    "parents",
    "faith leaders",
    "local officials",
    "farmers",
    "small business owners",
    "retirees",
    "immigrant families",
    "teachers",
    "librarians",
    "journalists",
    "tenants",
    "nurses",
    "poll workers",
    "first responders",
    "county clerks",
    "rural residents",
    "city councils",
]
TOPICS = [
    "local elections",
    "school boards",
    "housing",
    "water rights",
    "public safety",
    "zoning",
    "immigration",
    "policing",
    "climate resilience",
    "public health",
    "land use",
    "transportation",
    "election administration",
    "local news",
    "civil rights history",
    "wages",
    "public libraries",
    "broadband access",
    "wildfire recovery",
    "redistricting",
    "tax policy",
    "mental health",
]
METHODS = [
    "small facilitated conversations",
    "structured dialogue",
    "hands-on workshops",
    "trained volunteer mediators",
    "shared meals",
    "public forums",
    "plain-language explainers",
    "peer mentoring",
    "story circles",
    "open data",
    "listening tours",
    "role-play exercises",
    "joint fact-finding",
    "deliberative polling",
    "community organizing",
    "radio segments",
]
OUTCOMES = [
    "trust across political lines",
    "fair and transparent elections",
    "calmer public meetings",
    "shared facts",
    "practical compromise",
    "respect for every identity group",
    "less partisan hostility",
    "repaired relationships",
    "stronger local institutions",
    "better decisions",
    "wider participation",
    "accountable leaders",
]
# Words that should be rare in the corpus (a "rare word" search finds a few hundred in a million).
RARE_WORDS = [
    "marimba",
    "beekeeping",
    "lighthouse",
    "quilting",
    "origami",
    "tamale",
    "bluegrass",
    "falconry",
    "orchard",
    "canoe",
    "telescope",
    "blacksmith",
    "accordion",
    "sourdough",
    "lacrosse",
    "pottery",
    "kayak",
    "glacier",
    "chess",
    "bison",
    "calligraphy",
    "harmonica",
    "mosaic",
    "cranberry",
    "lantern",
    "saddle",
    "windmill",
    "ferry",
    "prairie",
    "cactus",
]
RARE_WORD_SHARE = 0.012  # of rows mention one rare word: each word in ~0.04 % of rows

SUMMARIES = [
    "{Prefix} {activity} that brings {audience} together to talk about {topic}.",
    "Helps {audience} work through disagreements about {topic} with {method}.",
    "Uses {method} so that {audience} can find {outcome} on {topic}.",
    "A volunteer effort in {city} building {outcome} through {method}.",
    "Connects {audience} and {audience2} around {topic}, using {method}.",
    "Trains {audience} in {method} to strengthen community ties and {outcome}.",
    "Works with {audience} in {city} on {topic}, aiming for {outcome}.",
    "Runs {method} for {audience} so local debates about {topic} start from {outcome}.",
]
SENTENCES = [
    "We meet {when} in {city} and welcome {audience} of every political view.",
    "Sessions use {method} and are led by trained community volunteers.",
    "The project grew out of a heated local argument about {topic}.",
    "Our goal is {outcome}, one conversation at a time.",
    "Participants learn to listen first, ask real questions and look for common ground.",
    "We partner with libraries, schools and congregations across {state_name}.",
    "Everything we publish about {topic} is sourced and written in plain language.",
    "More than {n} {audience} have taken part since we started in {year}.",
    "Volunteers help {audience} understand how {topic} decisions are made.",
    "We keep politics out of the room and keep the focus on the community.",
    "Each season ends with a public report on what the community agreed about {topic}.",
    "We also run {method} for {audience2} who want to host their own events.",
    "Childcare, interpretation and transport are offered so that anyone can join.",
    "Our work is funded by small local donations and a community foundation grant.",
    "Facilitators come from different parties, faiths and neighborhoods.",
    "We measure success by {outcome} rather than by headlines.",
]
RARE_SENTENCES = [
    "Yes, we once held a session at the {rare} festival.",
    "Ask about our {rare} evening, an unusual way to meet neighbors.",
    "Members started as a {rare} club and kept meeting about {topic}.",
]
WHEN = ["monthly", "every other week", "on Saturday mornings", "on weeknights", "each quarter"]
INVOLVED = [
    "Come to a session; no experience needed.",
    "Sign up for a two-hour training and choose a shift.",
    "Volunteer as a host, note-taker or greeter.",
    "Join the planning team, or suggest a topic.",
    "Share a story, help record interviews, or attend a gathering.",
    "Data and design volunteers can join the monthly build night.",
]
ORG_NOUNS = [
    "Civic Commons",
    "Dialogue Project",
    "Common Ground Network",
    "Bridge Alliance",
    "Democracy Lab",
    "Neighbors United",
    "Citizens Forum",
    "Mediation Center",
    "Voter Education Fund",
    "Civic Trust",
    "Listening Project",
    "Peacebuilders",
    "Community Table",
    "Better Arguments Circle",
    "Public Square Initiative",
    "Unity Council",
    "Roundtable",
    "Civic League",
    "Reconciliation Circle",
    "Assembly",
]


# --- places ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    zip: str
    city: str
    state: str
    county: str
    lat: float
    lon: float


@functools.lru_cache(maxsize=1)
def _zip_pool() -> dict[str, list[Place]]:
    """Active, standard ZIP codes with coordinates, by state."""
    import zipcodes

    pool: dict[str, list[Place]] = {}
    for row in zipcodes.list_all():
        if not row.get("active") or row.get("zip_code_type") != "STANDARD":
            continue
        state = row.get("state") or ""
        if state not in STATE_POPULATION:
            continue
        try:
            lat, lon = float(row["lat"]), float(row["long"])
        except (TypeError, ValueError, KeyError):
            continue
        pool.setdefault(state, []).append(
            Place(row["zip_code"], row.get("city") or "", state, row.get("county") or "", lat, lon)
        )
    return pool


class PlacePicker:
    """A real ZIP code, its state chosen with the weight of the state's population."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pool = _zip_pool()
        self.states = [s for s in STATE_POPULATION if self.pool.get(s)]
        self.cum = _cumulative([STATE_POPULATION[s] for s in self.states])

    def pick(self) -> Place:
        state = self.states[_bisect(self.cum, self.rng.random() * self.cum[-1])]
        return self.rng.choice(self.pool[state])


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _bisect(cum: list[float], x: float) -> int:
    import bisect

    return min(bisect.bisect_right(cum, x), len(cum) - 1)


def _weighted(rng: random.Random, choices: list[tuple]) -> Callable[[], object]:
    values = [c[0] for c in choices]
    cum = _cumulative([c[1] for c in choices])
    return lambda: values[_bisect(cum, rng.random() * cum[-1])]


# --- rows ---------------------------------------------------------------------------------


@dataclass
class Plan:
    initiatives: int
    organizations: int
    seed: int = 1
    chunk: int = 20000
    #: on PostgreSQL, drop plain indexes of the listing tables during a big load, then rebuild
    drop_indexes: bool = True
    #: processes writing at once on PostgreSQL
    workers: int = 2
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


class Generator:
    """Produces the field values of synthetic rows (``{attname: value}``), deterministically."""

    def __init__(self, plan: Plan, roles: list[int], goals: list[int]):
        self.plan = plan
        self.rng = rng = random.Random(plan.seed)
        self.places = PlacePicker(rng)
        self.roles = roles
        self.goals = goals
        # A long tail over roles and goals, so coverage has well-served and thin cells.
        self.role_weights = _cumulative([1 / (i + 1) ** 0.8 for i in range(len(roles))])
        self.goal_weights = _cumulative([1 / (i + 1) ** 0.5 for i in range(len(goals))])
        rng.shuffle(self.roles)
        self.ini_status = _weighted(rng, INITIATIVE_STATUSES)
        self.org_status = _weighted(rng, ORGANIZATION_STATUSES)
        self.scope = _weighted(rng, SCOPES)
        self.run = f"{rng.getrandbits(24):06x}"
        from directory.search.geo import US_STATES

        self.state_names = US_STATES

    # pieces
    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _some(self, ids: list[int], cum: list[float]) -> list[int]:
        """1–3 distinct ids, long-tailed."""
        rng, k = self.rng, 1 + (self.rng.random() < 0.55) + (self.rng.random() < 0.25)
        chosen: set[int] = set()
        while len(chosen) < k:
            chosen.add(ids[_bisect(cum, rng.random() * cum[-1])])
        return sorted(chosen)

    def _words(self, place: Place | None) -> dict:
        rng = self.rng
        a1, a2 = rng.sample(AUDIENCES, 2)
        return {
            "Prefix": rng.choice(PREFIXES),
            "activity": rng.choice(ACTIVITIES),
            "audience": a1,
            "audience2": a2,
            "topic": rng.choice(TOPICS),
            "method": rng.choice(METHODS),
            "outcome": rng.choice(OUTCOMES),
            "city": place.city.title() if place else "their town",
            "state_name": self.state_names.get(place.state, "the country")
            if place
            else "the country",
            "when": rng.choice(WHEN),
            "n": rng.choice([40, 120, 300, 800, 2500]),
            "year": rng.randint(2005, 2025),
        }

    def _description(self, words: dict, marker: str) -> str:
        rng = self.rng
        parts = [s.format(**words) for s in rng.sample(SENTENCES, rng.randint(2, 5))]
        if rng.random() < RARE_WORD_SHARE:
            parts.insert(
                rng.randrange(len(parts) + 1),
                rng.choice(RARE_SENTENCES).format(rare=rng.choice(RARE_WORDS), **words),
            )
        parts.append(marker)
        return " ".join(parts)

    def _times(self, status: str) -> dict:
        rng, now = self.rng, self.plan.now
        created = now - timedelta(seconds=rng.randint(3600, 6 * 365 * 86400))
        published = None
        if status in (Status.PUBLISHED, Status.ARCHIVED):
            published = created + timedelta(seconds=rng.randint(600, 14 * 86400))
            published = min(published, now)
        updated = min(now, (published or created) + timedelta(seconds=rng.randint(0, 400 * 86400)))
        verified = published + timedelta(days=rng.randint(0, 300)) if published else None
        if verified and verified > now:
            verified = now
        return {
            "created_at": created,
            "published_at": published,
            "updated_at": updated,
            "last_verified_at": verified,
        }

    def _location(self, scope: str, place: Place | None) -> dict:
        if place is None or (scope in (Scope.NATIONAL, Scope.ONLINE) and self.rng.random() < 0.5):
            return {
                "city": "",
                "state": "",
                "postal_code": "",
                "county": "",
                "latitude": None,
                "longitude": None,
            }
        return {
            "city": place.city.title(),
            "state": place.state,
            "postal_code": place.zip,
            "county": place.county,
            "latitude": place.lat,
            "longitude": place.lon,
        }

    def organization(self, index: int) -> tuple[dict, list[int], list[int]]:
        rng = self.rng
        place = self.places.pick()
        scope = self.scope()
        status = self.org_status()
        words = self._words(place)
        name = f"{place.city.title()} {rng.choice(ORG_NOUNS)}"
        row = {
            "uuid": self._uuid(),
            "slug": f"{SLUG_PREFIX}org-{self.run}-{index}",
            "name": name,
            "summary": rng.choice(SUMMARIES).format(**words)[:280],
            "description": self._description(words, ORG_MARKER_SENTENCE),
            "website": f"https://example.org/synthetic/org-{self.run}-{index}",
            "email": "",
            "cross_partisan": rng.random() < 0.2,
            "is_network": rng.random() < 0.005,
            **self._lifecycle(scope, status, place),
        }
        return self._with_links(row)

    def initiative(
        self, index: int, org: tuple[int, Place | None, bool]
    ) -> tuple[dict, list[int], list[int]]:
        rng = self.rng
        org_id, org_place, org_public = org
        place = org_place if org_place is not None and rng.random() < 0.7 else self.places.pick()
        scope = self.scope()
        status = self.ini_status()
        words = self._words(place)
        title = f"{words['Prefix']} {words['activity']}"
        suffix = rng.random()
        if suffix < 0.5:
            title += f" in {words['city']}"
        elif suffix < 0.8:
            title += f" for {words['audience']}"
        starts = None
        ends = None
        if rng.random() < 0.3:
            starts = date(2020, 1, 1) + timedelta(days=rng.randint(0, 2200))
            if rng.random() < 0.4:
                ends = starts + timedelta(days=rng.randint(30, 900))
        row = {
            "uuid": self._uuid(),
            "slug": f"{SLUG_PREFIX}{self.run}-{index}",
            "organization_id": org_id,
            "title": title[:200],
            "summary": rng.choice(SUMMARIES).format(**words)[:280],
            "description": self._description(words, MARKER_SENTENCE),
            "website": "",
            "welcomes_newcomers": rng.random() < 0.5,
            "get_involved": rng.choice(INVOLVED),
            "get_involved_url": f"https://example.org/synthetic/{self.run}-{index}/join"
            if rng.random() < 0.3
            else "",
            "starts_on": starts,
            "ends_on": ends,
            "visible": status == Status.PUBLISHED and org_public,
            **self._lifecycle(scope, status, place),
        }
        return self._with_links(row)

    def _lifecycle(self, scope: str, status: str, place) -> dict:
        """What every synthetic row shares: scope, status, origin, place and dates."""
        return {
            "scope": scope,
            "status": status,
            "source": SOURCE,
            "is_demo": True,
            "submitted_by_id": None,
            "stale_notice_sent_at": None,
            **self._location(scope, place),
            **self._times(status),
        }

    def _with_links(self, row: dict) -> tuple[dict, list[int], list[int]]:
        """The row with the roles and goals it links to."""
        return (
            row,
            self._some(self.roles, self.role_weights),
            self._some(self.goals, self.goal_weights),
        )


# --- writing --------------------------------------------------------------------------------


class Writer:
    """Inserts rows of one model and its roles/goals links, chunk by chunk."""

    def __init__(self, model, log: Callable[[str], None]):
        self.model = model
        self.log = log
        self.fields = [f for f in model._meta.concrete_fields if f.attname != "search_vector"]
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        # Fields added to the model later that we do not fill get their model default.
        self.defaults = {
            f.attname: (f.get_default() if f.has_default() or f.null else "") for f in self.fields
        }
        self.links = {
            name: model._meta.get_field(name).remote_field.through for name in ("roles", "goals")
        }
        self.pg = connection.vendor == "postgresql"

    def reserve_ids(self, n: int) -> list[int]:
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            if self.pg:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, n],
                )
                return [r[0] for r in cursor.fetchall()]
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
            start = cursor.fetchone()[0] + 1
            return list(range(start, start + n))

    def write(self, rows: list[tuple[dict, list[int], list[int]]]) -> None:
        if self.pg:
            self._copy(rows)
        else:
            self._bulk_create(rows)

    def _tuple(self, row: dict) -> tuple:
        d = self.defaults
        return tuple(row[a] if a in row else d[a] for a in self.attnames)

    def _copy(self, rows) -> None:
        table = self.model._meta.db_table
        cols = ", ".join(f'"{c}"' for c in self.columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor
            with raw.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row, _, _ in rows:
                    copy.write_row(self._tuple(row))
            for i, name in enumerate(("roles", "goals"), start=1):
                through = self.links[name]
                owner, target = _link_columns(through, self.model)
                with raw.copy(
                    f'COPY "{through._meta.db_table}" ("{owner}", "{target}") FROM STDIN'
                ) as copy:
                    for item in rows:
                        pk = item[0]["id"]
                        for other in item[i]:
                            copy.write_row((pk, other))

    def _bulk_create(self, rows) -> None:
        model = self.model
        objs = []
        for row, _, _ in rows:
            values = {**self.defaults, **row}
            objs.append(model(**{a: values[a] for a in self.attnames}))
        model.objects.bulk_create(objs, batch_size=500)
        for i, name in enumerate(("roles", "goals"), start=1):
            through = self.links[name]
            owner, target = _link_attnames(through, model)
            through.objects.bulk_create(
                [
                    through(**{owner: item[0]["id"], target: other})
                    for item in rows
                    for other in item[i]
                ],
                batch_size=2000,
            )


def _link_fields(through, model):
    owner = next(f for f in through._meta.concrete_fields if f.related_model is model)
    target = next(
        f for f in through._meta.concrete_fields if f.is_relation and f.related_model is not model
    )
    return owner, target


def _link_columns(through, model) -> tuple[str, str]:
    owner, target = _link_fields(through, model)
    return owner.column, target.column


def _link_attnames(through, model) -> tuple[str, str]:
    owner, target = _link_fields(through, model)
    return owner.attname, target.attname


@dataclass
class GenerationReport:
    organizations: int = 0
    initiatives: int = 0
    links: int = 0
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)


def generate(plan: Plan, log: Callable[[str], None] = print) -> GenerationReport:
    """Insert ``plan.organizations`` organizations and ``plan.initiatives`` initiatives.

    The next chunk is generated in a helper thread while the database ingests the current one
    (the thread only computes; every query runs here).
    """
    roles = list(Role.objects.order_by("number").values_list("pk", flat=True))
    goals = list(Goal.objects.order_by("number").values_list("pk", flat=True))
    if not roles or not goals:
        raise RuntimeError("Load the taxonomy first (manage.py seed).")
    gen = Generator(plan, roles, goals)
    report = GenerationReport()
    started = time.monotonic()
    pg = connection.vendor == "postgresql"
    rebuild = pg and plan.drop_indexes and plan.initiatives >= BULK_INDEX_THRESHOLD
    dropped = _drop_secondary_indexes([Organization, Initiative], log) if rebuild else []
    try:
        _generate_rows(plan, gen, report, log)
    finally:
        if dropped:
            phase = time.monotonic()
            _recreate_indexes(dropped, log)
            report.phases["indexes"] = time.monotonic() - phase
    if pg:
        phase = time.monotonic()
        tables = [
            Organization,
            Initiative,
            Organization.roles.through,
            Organization.goals.through,
            Organization.networks.through,
            Initiative.roles.through,
            Initiative.goals.through,
        ]
        # VACUUM sets the visibility map (index-only scans) and hint bits once, so the first
        # reads are not slower than the later ones; inside a transaction (tests) only ANALYZE.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f'{command} "{model._meta.db_table}"')
        report.phases["vacuum_analyze"] = time.monotonic() - phase
        log(f"VACUUM ANALYZE: {report.phases['vacuum_analyze']:.1f} s")
    report.seconds = time.monotonic() - started
    return report


# Set in the parent before worker processes are forked; read by the workers.
_SHARED: dict = {}


def _generate_rows(plan: Plan, gen: Generator, report: GenerationReport, log) -> None:
    started = time.monotonic()
    _SHARED.update(plan=plan, gen=gen, log=log, orgs=[])
    # Organizations first (initiatives point at them); keep (id, place, published) of each.
    for rows_done, links, orgs in _run_parts("organization", plan.organizations, plan):
        report.organizations += rows_done
        report.links += links
        _SHARED["orgs"].extend(orgs)
    orgs = _SHARED["orgs"]
    orgs.sort()
    networks = [org_id for org_id, _place, is_network, _public in orgs if is_network]
    if networks:
        network_set = set(networks)
        through = Organization.networks.through
        members = [
            through(from_organization_id=org_id, to_organization_id=gen.rng.choice(networks))
            for org_id, _place, _, _public in orgs
            if org_id not in network_set and gen.rng.random() < 0.1
        ]
        through.objects.bulk_create(members, batch_size=2000)
        report.links += len(members)
    _SHARED["orgs"] = [(org_id, place, public) for org_id, place, _, public in orgs]
    report.phases["organizations"] = time.monotonic() - started
    _progress(log, "organizations (all)", report.organizations, plan.organizations, started)

    phase = time.monotonic()
    for rows_done, links, _ in _run_parts("initiative", plan.initiatives, plan):
        report.initiatives += rows_done
        report.links += links
    report.phases["initiatives"] = time.monotonic() - phase
    _progress(log, "initiatives (all)", report.initiatives, plan.initiatives, phase)


def _run_parts(kind: str, total: int, plan: Plan):
    """Split ``total`` rows into contiguous parts, written by ``plan.workers`` processes on
    PostgreSQL (each with its own connection, so the search triggers run on every core)."""
    from django.db import connections

    workers = max(1, min(plan.workers, total // max(plan.chunk, 1) or 1))
    # Workers use their own connections: they could not see rows of an open transaction.
    if connection.vendor != "postgresql" or workers == 1 or connection.in_atomic_block:
        yield _write_part(kind, 0, total, plan.seed)
        return
    import multiprocessing

    size = -(-total // workers)
    parts = [
        (kind, i * size, min(size, total - i * size), plan.seed * 1000 + i)
        for i in range(workers)
        if i * size < total
    ]
    connections.close_all()  # every worker opens its own
    with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
        yield from pool.starmap(_write_part, parts)


def _write_part(kind: str, start: int, count: int, seed: int) -> tuple[int, int, list]:
    """Generate and write rows ``start .. start+count`` (in a worker, or in-process)."""
    from concurrent.futures import ThreadPoolExecutor

    plan, gen, log = _SHARED["plan"], _SHARED["gen"], _SHARED["log"]
    if start:
        gen.rng.seed(seed)
    model = Organization if kind == "organization" else Initiative
    writer = Writer(model, log)
    orgs = _SHARED["orgs"]
    made: list = []
    began = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=1)

    def chunk(first: int, n: int):
        if kind == "organization":
            return [gen.organization(first + i) for i in range(n)]
        return [gen.initiative(first + i, gen.rng.choice(orgs)) for i in range(n)]

    bounds = [(start + s, min(plan.chunk, count - s)) for s in range(0, count, plan.chunk)]
    done = links = 0
    try:
        # The next chunk is made in a helper thread while the database takes the current one.
        future = pool.submit(chunk, *bounds[0]) if bounds else None
        for k in range(len(bounds)):
            rows = future.result()
            future = pool.submit(chunk, *bounds[k + 1]) if k + 1 < len(bounds) else None
            for (row, _, _), pk in zip(rows, writer.reserve_ids(len(rows)), strict=True):
                row["id"] = pk
            with transaction.atomic():
                writer.write(rows)
            if kind == "organization":
                for row, _, _ in rows:
                    place = None
                    if row["postal_code"]:
                        place = Place(
                            row["postal_code"],
                            row["city"],
                            row["state"],
                            row["county"],
                            row["latitude"],
                            row["longitude"],
                        )
                    made.append(
                        (row["id"], place, row["is_network"], row["status"] == Status.PUBLISHED)
                    )
            done += len(rows)
            links += sum(len(r) + len(g) for _, r, g in rows)
            _progress(log, f"{kind}s [{start:,}+]", done, count, began)
    finally:
        pool.shutdown(cancel_futures=True)
    return done, links, made


def _drop_secondary_indexes(models, log) -> list[tuple[str, str]]:
    """Drop the plain (non-constraint) indexes of big tables before a bulk load; return their
    definitions. Rebuilding an index once is much faster than updating it row by row."""
    dropped = []
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(
                """SELECT i.indexname, i.indexdef FROM pg_indexes i
                   WHERE i.schemaname = current_schema() AND i.tablename = %s
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                     WHERE c.conindid = (quote_ident(i.indexname))::regclass)""",
                [model._meta.db_table],
            )
            dropped.extend(cursor.fetchall())
        for name, definition in dropped:
            log(f"dropping index {name} for the bulk load; it is rebuilt after: {definition}")
            cursor.execute(f'DROP INDEX "{name}"')
    return dropped


def _recreate_indexes(dropped: list[tuple[str, str]], log) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in dropped:
            t = time.monotonic()
            cursor.execute(definition)
            log(f"rebuilt index {name} in {time.monotonic() - t:.1f} s")
        cursor.execute("RESET maintenance_work_mem")


def _progress(log, what: str, done: int, total: int, since: float) -> None:
    elapsed = time.monotonic() - since
    rate = done / elapsed if elapsed else 0
    log(f"{what}: {done:,}/{total:,}  {elapsed:6.1f} s  {rate:,.0f} rows/s")


# --- removal ----------------------------------------------------------------------------------


def synthetic_q() -> Q:
    """Both markers: an example entry *and* a ``synthetic-`` slug."""
    return Q(is_demo=True, slug__startswith=SLUG_PREFIX)


def remove_synthetic(batch: int = 50000, log: Callable[[str], None] = print) -> dict[str, int]:
    """Delete every synthetic row (and only those), in batches, without per-row signals.

    Link rows are deleted directly; the rare rows of other tables that point at a synthetic
    listing (a report, a change request, an event someone attached) get their model's own
    ``on_delete`` treatment through the ORM; history rows of synthetic listings go too.
    """
    removed = {"initiatives": 0, "organizations": 0}
    started = time.monotonic()
    for model, key in ((Initiative, "initiatives"), (Organization, "organizations")):
        while True:
            with transaction.atomic():
                # One batch, as a subquery every statement of this transaction repeats.
                ids = model.objects.filter(synthetic_q()).order_by("pk").values("pk")[:batch]
                _delete_dependents(model, ids)
                model.history.filter(id__in=ids).delete()
                deleted = model.objects.filter(pk__in=ids)._raw_delete(model.objects.db)
            if not deleted:
                break
            removed[key] += deleted
            _progress(log, f"removed {key}", removed[key], removed[key], started)
    return removed


def _delete_dependents(model, ids) -> None:
    from django.db import models as m

    for rel in model._meta.related_objects:
        related = rel.related_model
        if rel.many_to_many:  # e.g. networks' "members" (the reverse side of a self m2m)
            through = rel.through
            for f in through._meta.concrete_fields:
                if f.is_relation and f.related_model is model:
                    through.objects.filter(**{f"{f.attname}__in": ids})._raw_delete(
                        through.objects.db
                    )
            continue
        if rel.field.name.startswith("history") or related.__name__.startswith("Historical"):
            continue
        lookup = {f"{rel.field.attname}__in": ids}
        qs = related._base_manager.filter(**lookup)
        if related._meta.auto_created:  # an m2m link table of this model
            qs._raw_delete(qs.db)
        elif rel.on_delete is m.CASCADE:
            qs.delete()
        elif rel.on_delete is m.SET_NULL:
            qs.update(**{rel.field.attname: None})
        elif qs.exists():
            raise RuntimeError(
                f"{qs.count()} {related._meta.verbose_name_plural} point at synthetic "
                f"{model._meta.verbose_name_plural}; remove them first."
            )
    for f in model._meta.many_to_many:
        through = f.remote_field.through
        owner = next(x for x in through._meta.concrete_fields if x.related_model is model)
        through.objects.filter(**{f"{owner.attname}__in": ids})._raw_delete(through.objects.db)
