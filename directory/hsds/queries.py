"""What the HSDS read API and the HSDS export serve: published listings, fetched with what their
documents need, and our taxonomies' terms."""

from django.db.models import IntegerField, Prefetch, Q, Value

from directory.hsds import mapping
from directory.models import Event, Initiative, Organization
from goals.models import Goal
from roles.models import Role, RoleGroup


def _events():
    return Prefetch(
        "events",
        queryset=Event.objects.published().order_by("starts_at", "uuid"),
        to_attr="hsds_events",
    )


def services(full: bool = False):
    qs = Initiative.objects.published().select_related("organization")
    if full:
        qs = qs.prefetch_related(
            Prefetch("roles", queryset=Role.objects.select_related("group")),
            "goals",
            "languages",
            "sources",
            _events(),
        )
    return qs.order_by("updated_at", "uuid")


def organizations(full: bool = False, full_service: bool = False):
    qs = Organization.objects.published()
    if full or full_service:
        qs = qs.prefetch_related(
            Prefetch("roles", queryset=Role.objects.select_related("group")), "goals", "sources"
        )
    if full_service:
        qs = qs.prefetch_related(
            Prefetch(
                "initiatives",
                queryset=services(full=True).order_by("title", "uuid"),
                to_attr="hsds_services",
            )
        )
    return qs.order_by("updated_at", "uuid")


def located(qs):
    """What ``mapping.has_place`` says has a place, in SQL."""
    return qs.filter(
        Q(postal_code__gt="") | Q(city__gt="") | Q(state__gt="") | Q(latitude__isnull=False)
    )


class Located:
    """The places of organizations and of initiatives as one list, by last change then id:
    the database orders and slices the two tables together (a UNION of their keys)."""

    def __init__(self, organizations_qs, initiatives_qs):
        self.parts = (organizations_qs, initiatives_qs)

    def _keys(self):
        orgs, initiatives = (
            qs.order_by().values_list(
                "updated_at", "uuid", Value(kind, output_field=IntegerField())
            )
            for kind, qs in enumerate(self.parts)
        )
        return orgs.union(initiatives, all=True).order_by("updated_at", "uuid")

    def count(self) -> int:
        return sum(qs.count() for qs in self.parts)

    def __getitem__(self, window: slice) -> list:
        keys = list(self._keys()[window])
        found = {}
        for kind, qs in enumerate(self.parts):
            wanted = [key for _at, key, k in keys if k == kind]
            if wanted:
                found.update({(kind, o.uuid): o for o in qs.filter(uuid__in=wanted)})
        return [found[(kind, key)] for _at, key, kind in keys if (kind, key) in found]

    def iterator(self, chunk_size: int = 200):
        for qs in self.parts:
            yield from qs.iterator(chunk_size=chunk_size)


def all_terms(base: str) -> list[dict]:
    """Goals, then role groups (parents) and roles, as HSDS taxonomy terms."""
    terms = [mapping.goal_term(goal, base) for goal in Goal.objects.all()]
    terms += [mapping.group_term(group, base) for group in RoleGroup.objects.all()]
    terms += [mapping.role_term(role, base) for role in Role.objects.select_related("group")]
    return terms
