"""Reference (a) of the benchmark: the floor for this stack.

A settings module, its URLConf and its views in one file, used only by ``scripts/bench.py``
(``DJANGO_SETTINGS_MODULE=bench_baseline`` with ``scripts/`` on the path). Each view answers the
same path and parameters as the real page, runs the equivalent query with ``.values()`` (the
page of rows and, for lists, the total count) and returns JSON: no templates, no facets, no
serializers, no middleware. Nothing here is part of the product.
"""

import csv
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mpdb.settings import *  # noqa: E402, F403

ROOT_URLCONF = "bench_baseline"
# Only what an installed app insists on (allauth refuses to start without its middleware, which
# does nothing on these paths).
MIDDLEWARE = ["allauth.account.middleware.AccountMiddleware"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
SECURE_SSL_REDIRECT = False

# --- views (imported lazily by Django through urlpatterns below) ---------------------------

from django.db.models import Sum  # noqa: E402
from django.http import Http404, JsonResponse, StreamingHttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

PAGE_SIZE = 20
ROW = (
    "uuid",
    "slug",
    "title",
    "summary",
    "city",
    "state",
    "scope",
    "published_at",
    "organization__name",
)
ORG_ROW = ("uuid", "slug", "name", "summary", "city", "state", "scope", "published_at")
EVENT_ROW = (
    "uuid",
    "slug",
    "title",
    "summary",
    "city",
    "state",
    "starts_at",
    "ends_at",
    "organization__name",
)


def _published(model=None):
    """What the public sees, as plain conditions (the listing and the organization published;
    for events, the initiative too if there is one)."""
    from django.db.models import Q

    from directory.models import Event, Initiative, Organization

    model = model or Initiative
    if any(f.name == "visible" for f in model._meta.concrete_fields):
        # The stored flag (published, and its organization too), where the model keeps one:
        # the floor reads what the app reads, through the same partial indexes.
        return model.objects.filter(visible=True)
    qs = model.objects.filter(status="published")
    if model is not Organization:
        qs = qs.filter(organization__status="published")
    if model is Event:
        qs = qs.filter(
            Q(initiative__isnull=True)
            | Q(initiative__status="published", initiative__organization__status="published")
        )
    return qs


def _filtered(params, model=None):
    """The list filters the mixes use (goal, role, group, state, scope, newcomers, q,
    near/radius), on initiatives (default), organizations or events."""
    from django.contrib.postgres.search import SearchQuery, SearchRank
    from django.db import connection
    from django.db.models import F

    from directory.models import Initiative
    from directory.search.geo import lookup_zip
    from goals.models import Goal
    from roles.models import Role

    model = model or Initiative
    qs = _published(model)
    owner = f"{model._meta.model_name}_id"  # the link tables' column
    roles = model.roles.through.objects
    goals = model.goals.through.objects
    # Slugs are resolved to ids first (as the app's filters do), then one subquery on the link
    # table.
    if params.get("goal"):
        ids = list(
            Goal.objects.filter(slug__in=params.getlist("goal")).values_list("pk", flat=True)
        )
        qs = qs.filter(pk__in=goals.filter(goal_id__in=ids).values(owner))
    if params.get("role"):
        ids = list(
            Role.objects.filter(slug__in=params.getlist("role")).values_list("pk", flat=True)
        )
        qs = qs.filter(pk__in=roles.filter(role_id__in=ids).values(owner))
    if params.get("group"):
        ids = list(
            Role.objects.filter(group__slug__in=params.getlist("group")).values_list(
                "pk", flat=True
            )
        )
        qs = qs.filter(pk__in=roles.filter(role_id__in=ids).values(owner))
    if params.get("state"):
        qs = qs.filter(state__in=[s.upper() for s in params.getlist("state")])
    if params.get("scope"):
        qs = qs.filter(scope__in=params.getlist("scope"))
    if params.get("newcomers") == "true":
        qs = qs.filter(welcomes_newcomers=True)
    # As the app sorts each kind by default (plain DESC, as the index is built).
    kind = model._meta.model_name
    name = "name" if kind == "organization" else "title"
    order = {
        "initiative": ["-published_at", "-pk"],
        "organization": ["name", "pk"],
        "event": ["starts_at", "title", "pk"],
    }[kind]
    if params.get("near"):
        place = lookup_zip(params["near"])
        if place is None:
            raise Http404
        qs = qs.near(place, float(params.get("radius") or 25))
        order = [F("distance").asc(nulls_last=True), name, "pk"]
    if params.get("q"):
        if connection.vendor == "postgresql":
            query = SearchQuery(params["q"], search_type="websearch", config="english")
            qs = qs.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
        else:
            qs = qs.search(params["q"])
        order = ["-rank", name, "pk"]
    return qs.order_by(*order)


def _page(request, qs, row=ROW):
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    start = (page - 1) * PAGE_SIZE
    rows = list(qs.values(*row)[start : start + PAGE_SIZE])
    return JsonResponse({"count": qs.count(), "page": page, "results": rows})


def home(request):
    from directory.models import Organization

    published = _published()
    return JsonResponse(
        {
            "initiatives": published.count(),
            "organizations": Organization.objects.filter(status="published").count(),
            "newest": list(published.order_by("-published_at", "-pk").values(*ROW)[:6]),
        }
    )


def initiative_list(request):
    return _page(request, _filtered(request.GET))


def organization_list(request):
    from directory.models import Organization

    return _page(request, _filtered(request.GET, Organization), ORG_ROW)


def event_list(request):
    """Upcoming events (the list's default), soonest first."""
    from directory.models import Event

    return _page(request, _filtered(request.GET, Event).upcoming(), EVENT_ROW)


def _one(**lookup):
    rows = list(
        _published().filter(**lookup).values(*ROW, "description", "latitude", "longitude")[:1]
    )
    if not rows:
        raise Http404
    row = rows[0]
    from directory.models import Initiative

    ids = _published().filter(**lookup).values("pk")
    row["roles"] = list(
        Initiative.roles.through.objects.filter(initiative__in=ids).values_list(
            "role__slug", flat=True
        )
    )
    row["goals"] = list(
        Initiative.goals.through.objects.filter(initiative__in=ids).values_list(
            "goal__slug", flat=True
        )
    )
    return JsonResponse(row)


def initiative_detail(request, slug):
    return _one(slug=slug)


def api_detail(request, uuid):
    return _one(uuid=uuid)


def api_list(request):
    if request.GET.get("format") == "csv":
        return _csv(_filtered(request.GET))
    return _page(request, _filtered(request.GET))


class _Echo:
    def write(self, value):
        return value


def _csv(qs):
    fields = [*ROW, "description", "latitude", "longitude"]

    def rows():
        writer = csv.writer(_Echo())
        yield writer.writerow(fields)
        for row in qs.values_list(*fields).iterator(chunk_size=2000):
            yield writer.writerow(row)

    return StreamingHttpResponse(rows(), content_type="text/csv")


def changes(request):
    from directory.models import Initiative

    since = datetime.fromisoformat(request.GET.get("since", "1970-01-01T00:00:00+00:00"))
    limit = min(500, int(request.GET.get("limit", 100)))
    rows = list(
        Initiative.objects.filter(published_at__isnull=False, updated_at__gt=since)
        .order_by("updated_at", "uuid")
        .values("uuid", "updated_at", "status", *ROW[1:])[: limit + 1]
    )
    return JsonResponse({"results": rows[:limit], "more": len(rows) > limit})


def coverage(request):
    """Role × goal and per-role counts of published initiatives and organizations (``?state=``
    narrows both), as the coverage page reads them: the counts the database keeps, plus the
    changes not folded into them yet (``directory.services.coverage``)."""
    from directory.models import CoverageChange, CoverageCount
    from directory.models.coverage import ALL_STATES

    state = (request.GET.get("state") or "").upper()
    counted = CoverageCount.objects.filter(state=state or ALL_STATES)
    changes = CoverageChange.objects.filter(state=state) if state else CoverageChange.objects.all()
    out = {}
    for name, rows, value in (("counts", counted, "n"), ("changes", changes, "delta")):
        out[name] = list(
            rows.values("kind", "role_id", "goal_id").annotate(n=Sum(value)).order_by()
        )
    return JsonResponse(out)


urlpatterns = [
    path("", home),
    path("initiatives/", initiative_list),
    path("initiatives/<slug:slug>/", initiative_detail),
    path("api/v1/initiatives/", api_list),
    path("api/v1/initiatives/<uuid:uuid>/", api_detail),
    path("api/v1/changes/", changes),
    path("coverage/", coverage),
    path("organizations/", organization_list),
    path("events/", event_list),
]
