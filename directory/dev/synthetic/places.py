"""Real ZIP code places, picked with the weight of their state's population."""

from __future__ import annotations

import bisect
import functools
import random
from collections.abc import Callable
from dataclasses import dataclass

from directory.dev.synthetic.vocabulary import STATE_POPULATION

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
        self.cum = cumulative([STATE_POPULATION[s] for s in self.states])

    def pick(self) -> Place:
        state = self.states[pick_index(self.cum, self.rng.random() * self.cum[-1])]
        return self.rng.choice(self.pool[state])


def cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def pick_index(cum: list[float], x: float) -> int:
    """The index whose cumulative weight first exceeds ``x``."""
    return min(bisect.bisect_right(cum, x), len(cum) - 1)


def weighted(rng: random.Random, choices: list[tuple]) -> Callable[[], object]:
    values = [c[0] for c in choices]
    cum = cumulative([c[1] for c in choices])
    return lambda: values[pick_index(cum, rng.random() * cum[-1])]
