"""The rows themselves: a plan, and a seeded generator of organization and initiative rows."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from directory.dev.synthetic.places import Place, PlacePicker, cumulative, pick_index, weighted
from directory.dev.synthetic.vocabulary import (
    ACTIVITIES,
    AUDIENCES,
    INITIATIVE_STATUSES,
    INVOLVED,
    MARKER_SENTENCE,
    METHODS,
    ORG_MARKER_SENTENCE,
    ORG_NOUNS,
    ORGANIZATION_STATUSES,
    OUTCOMES,
    PREFIXES,
    RARE_SENTENCES,
    RARE_WORD_SHARE,
    RARE_WORDS,
    SCOPES,
    SENTENCES,
    SLUG_PREFIX,
    SOURCE,
    SUMMARIES,
    TOPICS,
    WHEN,
)
from directory.models import Scope, Status

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
        self.role_weights = cumulative([1 / (i + 1) ** 0.8 for i in range(len(roles))])
        self.goal_weights = cumulative([1 / (i + 1) ** 0.5 for i in range(len(goals))])
        rng.shuffle(self.roles)
        self.ini_status = weighted(rng, INITIATIVE_STATUSES)
        self.org_status = weighted(rng, ORGANIZATION_STATUSES)
        self.scope = weighted(rng, SCOPES)
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
            chosen.add(ids[pick_index(cum, rng.random() * cum[-1])])
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
