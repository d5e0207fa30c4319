"""Counts per facet for a filtered listing, and the "active filter" chips.

A facet's counts apply every *other* active filter, so choosing one goal still shows how many
results each other goal would add — the usual meaning of facet counts.
"""

import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.http import QueryDict

from directory.caching import cached
from directory.models import Language, Scope
from directory.search.geo import US_STATES
from directory.search.pagination import COUNT_CAP, capped_count
from goals.models import Goal
from roles.models import RoleGroup

IGNORED_FOR_FACETS = ("sort", "page", "page_size", "view")


@dataclass
class FacetOption:
    value: str
    label: str
    count: int | None
    selected: bool


FACETS = ("goal", "group", "scope", "state", "language")
# Counting a facet over hundreds of thousands of listings takes seconds; above the cap the
# choices are offered without counts (the page says so) and the first filter brings them back.
TOO_MANY = "too many"


def facet_counts(filterset_class, data: QueryDict, base_queryset) -> dict[str, list[FacetOption]]:
    """One query per facet, whatever the page size; counts are cached until the data changes."""
    model = base_queryset.model
    facets: dict[str, list[FacetOption]] = {}
    for key in FACETS:
        others = data.copy()
        for name in (key, *IGNORED_FOR_FACETS):
            others.pop(name, None)
        chosen = {value for value in data.getlist(key) if "\x00" not in value}  # NUL: no lookup
        counts = cached(
            "facet",
            (model._meta.label, key, sorted(others.lists())),
            functools.partial(_counts, filterset_class, others, base_queryset, key),
        )
        if counts is False or counts == TOO_MANY:  # (== : a cached copy is another str)
            # The other filters are invalid, or match too many listings to count cheaply:
            # offer the choices without counts.
            facets[key] = _options_without_counts(key, chosen)
        else:
            facets[key] = _options(key, counts, chosen)
    return facets


def _counts(filterset_class, others: QueryDict, base_queryset, key: str) -> dict | bool:
    """{value: matching listings} for one facet under the other filters; False if invalid."""
    filterset = filterset_class(others, queryset=base_queryset)
    if not filterset.is_valid():
        return False
    if capped_count(filterset.qs) > COUNT_CAP:
        return TOO_MANY
    related = base_queryset.model._meta.model_name + "s"  # "initiatives", "organizations", …
    ids = filterset.qs.order_by().values("pk")
    if key == "goal":
        rows = Goal.objects.annotate(n=Count(related, filter=Q(**{f"{related}__in": ids})))
        return dict(rows.values_list("slug", "n"))
    if key == "group":
        rows = RoleGroup.objects.annotate(
            n=Count(f"roles__{related}", filter=Q(**{f"roles__{related}__in": ids}), distinct=True)
        )
        return dict(rows.values_list("slug", "n"))
    if key == "language":
        rows = Language.objects.annotate(n=Count(related, filter=Q(**{f"{related}__in": ids})))
        return {code: n for code, n in rows.values_list("code", "n") if n}
    return dict(
        base_queryset.model.objects.filter(pk__in=ids)
        .order_by()
        .values_list(key)
        .annotate(n=Count("pk"))
    )


def _options(key: str, counts: dict, chosen: set[str]) -> list[FacetOption]:
    """Counted choices with labels in the reader's language."""
    if key == "goal":
        return [
            FacetOption(g.slug, g.title, counts.get(g.slug, 0), g.slug in chosen)
            for g in Goal.objects.order_by("number")
        ]
    if key == "group":
        return [
            FacetOption(g.slug, g.name, counts.get(g.slug, 0), g.slug in chosen)
            for g in RoleGroup.objects.order_by("order")
        ]
    if key == "language":
        # Only the languages some listing here declares (plus any chosen): a short list.
        wanted = set(counts) | chosen
        if not wanted:
            return []
        return [
            FacetOption(lang.code, lang.name, counts.get(lang.code, 0), lang.code in chosen)
            for lang in Language.objects.filter(code__in=wanted).order_by("order", "code")
        ]
    if key == "scope":
        return [FacetOption(v, label, counts.get(v, 0), v in chosen) for v, label in Scope.choices]
    chosen = {c.upper() for c in chosen}
    return [
        FacetOption(code, US_STATES[code], n, code in chosen)
        for code, n in sorted(counts.items(), key=lambda kv: US_STATES.get(kv[0], ""))
        if code in US_STATES
    ]


def query_without(data: QueryDict, key: str, value: str | None = None) -> str:
    """The query string with one filter value (or the whole filter) removed, and no page."""
    kept = []
    for k, values in data.lists():
        if k == "page":
            continue
        for v in values:
            if k == key and (value is None or v == value):
                continue
            kept.append((k, v))
    return "?" + urlencode(kept) if kept else "?"


def _options_without_counts(key: str, chosen: set[str]) -> list[FacetOption]:
    if key == "goal":
        return [FacetOption(g.slug, g.title, None, g.slug in chosen) for g in Goal.objects.all()]
    if key == "group":
        return [
            FacetOption(g.slug, g.name, None, g.slug in chosen) for g in RoleGroup.objects.all()
        ]
    if key == "scope":
        return [FacetOption(v, label, None, v in chosen) for v, label in Scope.choices]
    if key == "language":
        return [
            FacetOption(lang.code, lang.name, None, lang.code in chosen)
            for lang in Language.objects.filter(code__in=chosen)
        ]
    chosen = {c.upper() for c in chosen}
    return [
        FacetOption(code, name, None, code in chosen)
        for code, name in sorted(US_STATES.items(), key=lambda kv: kv[1])
    ]
