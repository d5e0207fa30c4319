"""The home and about pages, the favicon and the not-found page."""

from django.contrib.staticfiles import finders
from django.db.models import Count, Exists, OuterRef
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from directory.caching import cached
from directory.models import Initiative, Organization
from directory.search.cards import newest_cards
from directory.search.geo import US_STATES
from directory.search.taxonomy import taxonomy
from goals.models import Goal
from roles.models import Role, RoleGroup


def _states_with(listings) -> int:
    """How many states have at least one of ``listings``: one query of an EXISTS per state."""
    probes = {f"in_{code}": Exists(listings.filter(state=code)) for code in US_STATES}
    row = Goal.objects.order_by().annotate(**probes).values(*probes)[:1]
    if not row:  # no goal to hang the probes on (an empty taxonomy): count the slow way
        return listings.exclude(state="").values("state").distinct().count()
    return sum(bool(value) for value in row[0].values())


def home_stats() -> dict:
    """The home page's figures (kept in the cache until a listing changes)."""
    return cached("home-stats", (), _home_stats)


def _home_stats() -> dict:
    """The home page's figures, computed the cheap way; they are computed again after every
    change to a listing, so the first visitor after a curator's edit waits for them.

    At a million initiatives a join-and-count takes seconds. These are one count of the visible
    initiatives from a partial index of the stored ``visible`` flag (counting the published
    ones and subtracting those of unpublished organizations read the table twice), a quick
    EXISTS per state, and an EXISTS per role: in docs/benchmarks-cold-1m.md's after-write mix
    (first requests after a change), the slowest request took 73 ms (1,281 ms, the home page,
    in the report before the change).
    """
    visible = Initiative.objects.published()  # the stored ``visible`` flag
    roles_through, org_roles_through = Initiative.roles.through, Organization.roles.through
    return {
        "initiatives": visible.count(),
        "states": _states_with(visible),
        "organizations": Organization.objects.published().count(),
        "roles_covered": Role.objects.filter(
            Exists(
                roles_through.objects.filter(
                    Initiative.objects.published_q("initiative__"), role=OuterRef("pk")
                )
            )
            | Exists(
                org_roles_through.objects.filter(
                    Organization.objects.published_q("organization__"), role=OuterRef("pk")
                )
            )
        ).count(),
    }


def home(request):
    """What exists (counts), where (ZIP search), why (goals), and how (role groups)."""
    initiatives = Initiative.objects.published()
    context = {
        "stats": home_stats(),
        "goals": taxonomy().goals,
        "groups": taxonomy().groups,
        "newest": newest_cards(initiatives, 6),
    }
    return render(request, "home.html", context)


def about(request):
    context = {
        "groups": RoleGroup.objects.annotate(n=Count("roles")),
        "role_count": Role.objects.count(),
        "goal_count": Goal.objects.count(),
    }
    return render(request, "about.html", context)


@cache_control(max_age=7 * 24 * 60 * 60, public=True)
def favicon(request):
    """/favicon.ico, which browsers and feed readers ask for on their own."""
    return FileResponse(open(finders.find("favicon.ico"), "rb"), content_type="image/x-icon")


def page_not_found(request, exception=None):
    """Every path under /api/ answers JSON, as the API's own 404s do; pages answer HTML."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)
