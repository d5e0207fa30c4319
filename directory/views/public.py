"""Public lists and detail pages: one FilterSet per list, facets, chips, map, cached regions."""

from datetime import timedelta

from csp.decorators import csp_replace
from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.generic import DetailView, TemplateView

from directory.caching import TTL, cached, data_version, reads, region_key, request_parts
from directory.models import Event, Initiative, Membership, Organization, Scope
from directory.search.facets import FACET_CAP, facet_counts, query_without
from directory.search.filters import (
    DEFAULT_RADIUS,
    MAX_RADIUS,
    SORT_CHOICES,
    InitiativeFilter,
    OrganizationFilter,
)
from directory.search.geo import US_STATES
from directory.search.pagination import COUNT_CAP, CappedPaginator
from directory.services.alerts import normalize_query
from directory.structured_data import initiative_jsonld, organization_jsonld
from roles.models import RoleGroup

DEFAULT_PAGE_SIZE = 20


MAX_PAGE_SIZE = 100


MAP_LIMIT = 1000


RADIUS_CHOICES = [5, 10, 25, 50, 100, 250, 500]


REGION_TTL = 10 * 60  # seconds; a data change makes older regions unreachable at once


def page_size_from(request) -> int:
    try:
        size = int(request.GET.get("page_size", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return max(1, min(size, MAX_PAGE_SIZE))


class FilteredListView(TemplateView):
    """A listing filtered by its FilterSet, with facets, chips, pagination and a map view."""

    model = None
    filterset_class = None
    template_name = ""
    #: ``noun`` is a value (URLs, alert kinds); these two are what people read
    noun_label = ""
    noun_plural = ""
    #: seconds the rendered results region is cached (0: never; for lists that follow the clock)
    region_ttl = REGION_TTL

    def get(self, request, *args, **kwargs):
        base = self.model.objects.published()
        self.filterset = self.filterset_class(request.GET, queryset=base, request=request)
        context = self.get_context_data(**kwargs)
        status = 200 if self.filterset.is_valid() else 400
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request, filterset = self.request, self.filterset
        view = request.GET.get("view") if request.GET.get("view") in ("map", "month") else "list"
        context.update(
            filter=filterset,
            noun=self.noun,
            noun_label=self.noun_label,
            noun_plural=self.noun_plural,
            sort_choices=SORT_CHOICES,
            role_groups=RoleGroup.objects.prefetch_related("roles"),
            selected_roles=request.GET.getlist("role"),
            selected_modes=request.GET.getlist("mode"),
            event_modes=Event.Mode.choices,
            radius=request.GET.get("radius"),
            facets=SimpleLazyObject(lambda: facet_counts(filterset)),
            view=view,
            query_string=query_without(request.GET, "page").lstrip("?"),
            max_radius=MAX_RADIUS,
            count_cap=COUNT_CAP,
            facet_cap=FACET_CAP,
            default_radius=DEFAULT_RADIUS,
            states=sorted(US_STATES.items(), key=lambda kv: kv[1]),
        )
        # The results region (filters with their counts, chips, the page of results, the map)
        # depends only on the data, the URL and the language: it is rendered once per data
        # version and served from the cache after that. Everything it needs is lazy below, so
        # a cached region costs no query at all. The forms with a CSRF token stay outside it.
        context["valid"] = filterset.is_valid()
        context["radius_options"] = radius_options(
            filterset.form.cleaned_data.get("radius") if context["valid"] else None
        )
        context["region_ttl"] = self.region_ttl
        context["region_key"] = region_key(request, *reads(self.model))
        if not context["valid"]:
            context.update(errors=filterset.errors, paginator=None, page_obj=None, object_list=[])
            return context

        def first_page():
            paginator = CappedPaginator(filterset.qs.for_list(), page_size_from(request))
            return paginator.get_page(request.GET.get("page"))

        page = SimpleLazyObject(first_page)
        context.update(
            page_obj=page,
            paginator=SimpleLazyObject(lambda: page.paginator),
            object_list=SimpleLazyObject(lambda: page.object_list),
            chips=SimpleLazyObject(lambda: self.chips(filterset)),
            alert_query=normalize_query(request.GET, self.noun + "s")
            if self.model is not Organization
            else None,
            embed_url=request.build_absolute_uri(
                reverse("directory:initiative-embed")
                + ("?" + context["query_string"] if context["query_string"] else "")
            ),
            near=filterset.form.cleaned_data.get("near"),
        )
        if view == "map":
            # A callable: the template calls it only when it renders the region (json_script
            # cannot encode a lazy proxy).
            context["map_points"] = lambda: self.map_points(filterset.qs)
            context["map_limit"] = MAP_LIMIT
            context["map_tiles"] = {
                "url": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
            }
        return context

    def map_points(self, queryset) -> list[dict]:
        title = "name" if self.model is Organization else "title"
        rows = queryset.filter(latitude__isnull=False, longitude__isnull=False).values(
            "slug", title, "latitude", "longitude", "city", "state"
        )[:MAP_LIMIT]
        base = f"/{self.model._meta.model_name}s/"
        return [
            {
                "title": row[title],
                "url": f"{base}{row['slug']}/",
                "lat": row["latitude"],
                "lon": row["longitude"],
                "place": ", ".join(p for p in (row["city"], row["state"]) if p),
            }
            for row in rows
        ]

    def chips(self, filterset) -> list[dict]:
        """Active filters as removable chips: label and the URL without that filter."""
        data = filterset.form.cleaned_data
        request = self.request
        chips = []
        labels = {
            "goal": lambda o: o.title,
            "role": lambda o: o.label,
            "group": lambda o: o.name,
            "organization": lambda o: o.name,
            "network": lambda o: o.name,
            "language": lambda o: o.name,
        }
        for key, field in filterset.form.fields.items():
            value = data.get(key)
            if key in ("sort", "radius", "include_national") or value in (None, "", []):
                continue
            if key in ("goal", "role", "group", "language"):
                for obj in value:
                    chips.append(
                        {
                            "label": _chip(field.label, labels[key](obj)),
                            "url": query_without(request.GET, key, obj.natural_key()[0]),
                        }
                    )
            elif key in ("state", "scope", "mode"):
                for raw in request.GET.getlist(key):
                    if key == "state":
                        shown = US_STATES.get(raw.upper(), raw)
                    elif key == "mode":
                        shown = dict(field.choices).get(raw, raw)
                    else:
                        shown = Scope(raw).label if raw in Scope.values else raw
                    chips.append(
                        {
                            "label": _chip(field.label, shown),
                            "url": query_without(request.GET, key, raw),
                        }
                    )
            elif key == "near":
                radius = data.get("radius") or DEFAULT_RADIUS
                # A whole number picks the plural form; any fraction of a mile reads as plural.
                count = int(radius) if radius == int(radius) else 2
                label = ngettext(
                    "Within %(radius)s mile of %(zip)s", "Within %(radius)s miles of %(zip)s", count
                ) % {"radius": f"{radius:g}", "zip": value}
                chips.append(
                    {
                        "label": label,
                        "url": query_without(query_without_dict(request, "radius"), "near"),
                    }
                )
            else:
                shown = labels[key](value) if key in labels else value
                if isinstance(value, bool):
                    shown = _("yes") if value else _("no")
                chips.append(
                    {"label": _chip(field.label, shown), "url": query_without(request.GET, key)}
                )
        return chips


def radius_options(radius) -> list[dict]:
    """The radius menu: the usual choices, and ``radius`` too when it is another, so that a
    radius typed into the URL (``radius=30``) stays selected and searching again keeps it."""
    chosen = DEFAULT_RADIUS if radius is None else radius
    options = []
    for miles in sorted({*RADIUS_CHOICES, chosen}):
        whole = miles == int(miles)
        shown = int(miles) if whole else miles  # "30", not "30.0"
        label = ngettext("%(counter)s mile", "%(counter)s miles", int(miles) if whole else 2)
        options.append(
            {
                # The default submits nothing, so a search without a ZIP code is no error.
                "value": "" if miles == DEFAULT_RADIUS else str(shown),
                "label": label % {"counter": formats.localize(shown)},
                "selected": miles == chosen,
            }
        )
    return options


def _chip(label, value) -> str:
    """An active filter as people read it, e.g. "State: Colorado"."""
    # Translators: an active search filter: its name, then the value chosen.
    return _("%(filter)s: %(value)s") % {"filter": label, "value": value}


def query_without_dict(request, key):
    data = request.GET.copy()
    data.pop(key, None)
    data.pop("include_national", None)
    return data


class InitiativeListView(FilteredListView):
    noun = "initiative"
    noun_label = gettext_lazy("initiative")
    noun_plural = gettext_lazy("initiatives")
    model = Initiative
    filterset_class = InitiativeFilter
    template_name = "directory/initiative_list.html"


class OrganizationListView(FilteredListView):
    noun = "organization"
    noun_label = gettext_lazy("organization")
    noun_plural = gettext_lazy("organizations")
    model = Organization
    filterset_class = OrganizationFilter
    template_name = "directory/organization_list.html"


class InitiativeDetailView(DetailView):
    """An initiative: how to help first, then what it is, who runs it, and where."""

    template_name = "directory/initiative_detail.html"
    context_object_name = "initiative"

    def get_queryset(self):
        return Initiative.objects.published().for_list()

    def get(self, request, *args, **kwargs):
        # The page's parts built from the listing (title, description, JSON-LD, the article
        # around the events) are rendered once and cached together per data version, URL and
        # language, like the list regions; a missing listing is a 404 and is not cached. The
        # upcoming events are cached on their own, until the clock passes the first one.
        version = data_version()
        parts = cached("initiative-page", request_parts(request), self.render_parts, version)
        context = {"view": self, **parts, "upcoming_events": self.upcoming_events(version)}
        return self.render_to_response(context)

    def render_parts(self) -> dict:
        """The page's parts built from the listing, rendered (a missing listing: 404)."""
        initiative = self.get_object()
        context = {"initiative": initiative, "jsonld": initiative_jsonld(initiative, self.request)}
        return {
            part: mark_safe(
                render_to_string(
                    "directory/partials/_initiative_parts.html",
                    {**context, "part": part},
                    request=self.request,
                ).strip()
            )
            for part in ("title", "description", "head", "main", "end")
        }

    def upcoming_events(self, version: int) -> list:
        """Its next events, cached until the data changes or the first of them is over.

        An event never becomes upcoming by the passing of time, only by a write (which moves
        the data version on), so the list is exact until its earliest event is over."""
        key = f"mpdb:initiative-events:{version}:{self.kwargs['slug']}"
        now = timezone.now()
        entry = cache.get(key)
        if entry is None or entry[0] <= now:
            events = list(
                Event.objects.published()
                .upcoming(now)
                .filter(initiative__slug=self.kwargs["slug"])
                .order_by("starts_at")[:10]
            )
            until = min([now + timedelta(seconds=TTL), *(event.over_at for event in events)])
            entry = (until, events)
            cache.set(key, entry, TTL)
        return entry[1]


class OrganizationDetailView(DetailView):
    """An organization with its published initiatives and the networks it belongs to."""

    template_name = "directory/organization_detail.html"
    context_object_name = "organization"

    def get_queryset(self):
        published = Organization.objects.published()
        members = Membership.objects.filter(organization=OuterRef("pk"))
        return (
            published.for_list()
            .annotate(has_members=Exists(members))
            .prefetch_related(
                "sources",  # the Sources section and the JSON-LD's sameAs
                Prefetch(
                    "initiatives",
                    queryset=Initiative.objects.published().order_by("title"),
                    to_attr="published_initiatives",
                ),
                Prefetch(
                    "networks", queryset=published.order_by("name"), to_attr="published_networks"
                ),
                Prefetch(
                    "members", queryset=published.order_by("name"), to_attr="published_members"
                ),
                Prefetch(
                    "events",
                    queryset=Event.objects.published().upcoming().order_by("starts_at")[:10],
                    to_attr="upcoming_events",
                ),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["jsonld"] = organization_jsonld(self.object, self.request)
        return context


class EmbedMixin:
    """A small, self-contained list for partners' <iframe>s (the only pages that may be
    framed), with a link to the same search on the full list (``full_list``, a route name)."""

    full_list = ""

    @method_decorator(xframe_options_exempt)
    @method_decorator(csp_replace({"frame-ancestors": ["*"]}))
    def dispatch(self, *args, **kwargs):
        return super().dispatch(*args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["full_list_url"] = self.request.build_absolute_uri(
            reverse(self.full_list) + "?" + context["query_string"]
        )
        return context


class InitiativeEmbedView(EmbedMixin, InitiativeListView):
    template_name = "directory/embed.html"
    full_list = "directory:initiative-list"
