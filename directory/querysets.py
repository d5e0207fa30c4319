"""Reads, as chainable QuerySet methods: ``Initiative.objects.published().near(...)``."""

import math
import re
from datetime import timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, models
from django.db.models import Case, F, FloatField, IntegerField, Prefetch, Q, Value, When
from django.db.models.functions import Cast, Floor
from django.db.models.lookups import In
from django.utils import timezone

from directory.search.geo import ZipInfo, bounding_box, distance_expression

SEARCH_CONFIG = "english"
#: Work with no single place: included near a ZIP code on request, with no distance
WIDE_SCOPES = ("national", "online")
_WORD_RE = re.compile(r"[\w'-]+", re.UNICODE)


def search_terms(text: str) -> tuple[list[str], list[str]]:
    """(required words, excluded words) for the SQLite fallback, like web-search syntax:
    ``-word`` excludes, ``or`` and quotes are ignored (every other word must appear)."""
    required, excluded = [], []
    for token in text.split()[:20]:
        excluding = token.startswith("-")
        words = [w.strip("'-") for w in _WORD_RE.findall(token) if w.strip("'-")]
        words = [w for w in words if w.lower() != "or"]
        (excluded if excluding else required).extend(words)
    return required[:10], excluded[:10]


# Common English endings, the longest first. PostgreSQL stems every word; the SQLite fallback
# trims one of these and matches the rest anywhere, so "elections" finds "election" and
# "dialogue" finds "dialogues".
_SUFFIXES = ("ies", "ing", "es", "ed", "s", "e", "y")
_MIN_STEM = 4


def stem(word: str) -> str:
    """``word`` with one common ending trimmed, when at least four letters remain."""
    lower = word.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix) and len(lower) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


#: how long a verification lasts before a listing is due to be checked again
STALE_AFTER = timedelta(days=365)


def stale_since(now=None):
    """A listing last verified before this moment (or never) is stale (``Listing.is_stale``)."""
    return (now or timezone.now()) - STALE_AFTER


class ListingQuerySet(models.QuerySet):
    #: fields the SQLite fallback searches, most important first, with their weight
    search_fields: tuple[tuple[str, int], ...] = ()

    def published_q(self, prefix: str = "") -> Q:
        """What makes a listing public, as a condition; ``prefix`` applies it through a relation,
        e.g. ``Count("initiatives", filter=Initiative.objects.published_q("initiatives__"))``."""
        from directory.models.listings import (
            Status,  # an import cycle: the models import this module
        )

        return Q(**{f"{prefix}status": Status.PUBLISHED})

    def published(self):
        """What the public sees (``published_q``)."""
        return self.filter(self.published_q())

    def stale(self, now=None):
        """Due for re-verification: nobody confirmed it in the last ``STALE_AFTER``."""
        since = stale_since(now)
        return self.filter(models.Q(last_verified_at__lt=since) | models.Q(last_verified_at=None))

    def search(self, text: str):
        """Full-text search; annotates ``rank`` (higher is better).

        PostgreSQL: the stored, weighted ``search_vector`` (GIN index) with ``websearch`` syntax.
        SQLite: every word, or its stem (``stem``), must appear in one of the fields; rank by
        where it appears.
        """
        text = (text or "").strip()
        if not text:
            return self
        if connection.vendor == "postgresql":
            query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
            return self.filter(search_vector=query).annotate(
                rank=SearchRank(F("search_vector"), query)
            )
        terms, excluded = ([stem(word) for word in words] for words in search_terms(text))
        if not terms:
            return self.none().annotate(rank=Value(0, output_field=IntegerField()))
        qs = self
        for term in excluded:
            anywhere = Q()
            for field, _weight in self.search_fields:
                anywhere |= Q(**{f"{field}__icontains": term})
            qs = qs.exclude(anywhere)
        rank = Value(0, output_field=IntegerField())
        for term in terms:
            match = Q()
            for field, weight in self.search_fields:
                match |= Q(**{f"{field}__icontains": term})
                rank = rank + Case(
                    When(**{f"{field}__icontains": term}, then=Value(weight)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            qs = qs.filter(match)
        return qs.annotate(rank=rank)

    def near(self, place: ZipInfo, miles: float, include_national: bool = False):
        """Within ``miles`` of a ZIP's centre (bounding box, then great-circle distance).

        Annotates ``distance`` in miles. Statewide work of the ZIP's state is included wherever
        in the state it is based (its distance is given when it is within reach, else none).
        With ``include_national``, national and online work (which has no single place) is
        included too, with no distance.
        """
        qs, within_reach, statewide, _nearby, _cells = self._near(place, miles)
        within = within_reach | statewide
        if include_national:
            return qs.filter(within | Q(scope__in=WIDE_SCOPES))
        return qs.filter(within)

    def near_parts(self, place: ZipInfo, miles: float, include_national: bool = False) -> list:
        """``near``'s rows as querysets that together hold them, each row in one: the work
        within reach, and the statewide work of the ZIP's state beyond it, each annotated with
        ``distance`` as ``near`` annotates it; with ``include_national``, national and online
        work too: in the box around the circle (with its distance) with the work within
        reach, and beyond it (no distance, ``NULL``, written as such so that the part is read
        in name order from its own index: migration 0036). Read as a union (``facets._counts``),
        each part is answered on PostgreSQL by an index that holds what a list sorted by
        distance needs (migrations 0032, 0035), where one statement with every condition read
        every candidate's row (with national work, at a million initiatives, all 117,140
        national and online ones, to sort them)."""
        qs, within_reach, statewide, nearby, cells = self._near(place, miles)
        beyond = qs.filter(statewide).exclude(within_reach)
        if not include_national:
            return [qs.filter(within_reach), beyond]
        wide = Q(scope__in=WIDE_SCOPES)
        # In the box: within reach, or national work beyond reach (it has a distance): one
        # read of the box's cells, whose index carries the scope (migration 0035).
        in_box = qs.filter(within_reach | (cells & nearby & wide))
        rest = self.filter(wide).exclude(nearby).annotate(distance=Cast(Value(None), FloatField()))
        return [in_box, beyond, rest]

    def _near(self, place: ZipInfo, miles: float) -> tuple:
        """``self`` with ``distance`` annotated, and the conditions "within ``miles``",
        "statewide work of the ZIP's state", "in the box around the circle" (the rows
        ``distance`` is given for) and "in the box's whole degrees of longitude"."""
        min_lat, max_lat, min_lon, max_lon = bounding_box(place.latitude, place.longitude, miles)
        in_box = Q(
            latitude__gte=min_lat,
            latitude__lte=max_lat,
            longitude__gte=min_lon,
            longitude__lte=max_lon,
        )
        distance = distance_expression(place.latitude, place.longitude)
        nearby = in_box & Q(latitude__isnull=False)
        qs = self.annotate(
            distance=Case(When(nearby, then=distance), default=Value(None)),
        )
        cells = Q(in_cells(min_lon, max_lon))
        within_reach = cells & nearby & Q(distance__lte=miles)
        return qs, within_reach, Q(scope="state", state=place.state), nearby, cells


def in_cells(min_lon: float, max_lon: float) -> In:
    """Whole degrees of longitude from ``min_lon`` to ``max_lon``: the box's cells, as the
    index a search near a ZIP code reads is ordered (migration 0035: by this cell, then
    latitude, then longitude). Implied by the box, so it changes no answer; it lets PostgreSQL
    read each cell's band of latitudes alone, where an index by latitude first reads the band
    across the whole country: within 100 miles of Pittsburgh at a million initiatives, 7,800
    index pages for 21,851 matches, against 700 by cells."""
    cells = [float(cell) for cell in range(math.floor(min_lon), math.floor(max_lon) + 1)]
    return In(Floor("longitude"), cells)


class OrganizationQuerySet(ListingQuerySet):
    search_fields = (("name", 8), ("summary", 4), ("description", 1))

    def update(self, **kwargs) -> int:
        """As Django's; a change of status also refreshes its initiatives' ``visible``."""
        if "status" not in kwargs:
            return super().update(**kwargs)
        from directory.models.listings import Initiative  # the models import this module

        pks = list(self.values_list("pk", flat=True))
        updated = super().update(**kwargs)
        Initiative.objects.filter(organization_id__in=pks).refresh_visible()
        return updated

    def for_list(self):
        """What a list row shows, in a fixed number of queries."""
        return self.prefetch_related(Prefetch("roles", queryset=_roles()), "goals", "languages")


class InitiativeQuerySet(ListingQuerySet):
    def published_q(self, prefix: str = "") -> Q:
        """Published initiatives of published organizations, as stored (``Initiative.visible``)."""
        return Q(**{f"{prefix}visible": True})

    def refresh_visible(self) -> None:
        """Set ``visible`` from each row's status and its organization's (after bulk changes)."""
        from directory.models.listings import Organization, Status  # models import this module

        public = Organization.objects.filter(status=Status.PUBLISHED).values("pk")
        self.filter(status=Status.PUBLISHED, organization_id__in=public).exclude(
            visible=True
        ).update(visible=True)
        self.exclude(status=Status.PUBLISHED, organization_id__in=public).exclude(
            visible=False
        ).update(visible=False)

    def update(self, **kwargs) -> int:
        """As Django's; a change of status or organization also refreshes ``visible``."""
        if not {"status", "organization", "organization_id"} & kwargs.keys():
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        updated = super().update(**kwargs)
        self.model.objects.filter(pk__in=pks).refresh_visible()
        return updated

    search_fields = (
        ("title", 8),
        ("summary", 4),
        ("description", 1),
        ("organization__name", 1),
    )

    def for_list(self):
        """What a list row shows, in a fixed number of queries."""
        return self.select_related("organization").prefetch_related(
            Prefetch("roles", queryset=_roles()), "goals", "languages"
        )


def _roles():
    from roles.models import Role

    return Role.objects.with_label()
