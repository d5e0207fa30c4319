"""Counts per facet for a filtered listing, and the "active filter" chips.

A facet's counts apply every *other* active filter, so choosing one goal still shows how many
results each other goal would add — the usual meaning of facet counts.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.http import QueryDict

from goals.models import Goal
from roles.models import RoleGroup

from .geo import US_STATES
from .models import Scope

IGNORED_FOR_FACETS = ("sort", "page", "page_size", "view")


@dataclass
class FacetOption:
    value: str
    label: str
    count: int | None
    selected: bool


def facet_counts(filterset_class, data: QueryDict, base_queryset) -> dict[str, list[FacetOption]]:
    """One query per facet (goal, group, scope, state), whatever the page size."""
    related = base_queryset.model._meta.model_name + "s"  # "initiatives" / "organizations"
    facets: dict[str, list[FacetOption]] = {}
    for key in ("goal", "group", "scope", "state"):
        others = data.copy()
        for name in (key, *IGNORED_FOR_FACETS):
            others.pop(name, None)
        filterset = filterset_class(others, queryset=base_queryset)
        chosen = set(data.getlist(key))
        if not filterset.is_valid():
            # The other filters are invalid: offer the choices without counts.
            facets[key] = _options_without_counts(key, chosen)
            continue
        ids = filterset.qs.order_by().values("pk")
        if key == "goal":
            rows = Goal.objects.annotate(
                n=Count(related, filter=Q(**{f"{related}__in": ids}))
            ).order_by("number")
            options = [FacetOption(g.slug, g.title, g.n, g.slug in chosen) for g in rows]
        elif key == "group":
            rows = RoleGroup.objects.annotate(
                n=Count(f"roles__{related}", filter=Q(**{f"roles__{related}__in": ids}),
                        distinct=True)
            ).order_by("order")  # fmt: skip
            options = [FacetOption(g.slug, g.name, g.n, g.slug in chosen) for g in rows]
        else:
            counts = dict(
                base_queryset.model.objects.filter(pk__in=ids)
                .order_by()
                .values_list(key)
                .annotate(n=Count("pk"))
            )
            if key == "scope":
                options = [
                    FacetOption(v, label, counts.get(v, 0), v in chosen)
                    for v, label in Scope.choices
                ]
            else:
                chosen = {c.upper() for c in chosen}
                options = [
                    FacetOption(code, US_STATES[code], n, code in chosen)
                    for code, n in sorted(counts.items(), key=lambda kv: US_STATES.get(kv[0], ""))
                    if code in US_STATES
                ]
        facets[key] = options
    return facets


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
    chosen = {c.upper() for c in chosen}
    return [
        FacetOption(code, name, None, code in chosen)
        for code, name in sorted(US_STATES.items(), key=lambda kv: kv[1])
    ]
