"""Public lists and detail pages: one FilterSet per list, facets, chips, map, cards."""

from csp.decorators import csp_replace
from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils import formats
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.generic import DetailView, TemplateView

from directory.models import Event, Initiative, Membership, Organization, Scope
from directory.search.cards import listing_cards
from directory.search.facets import FACET_CAP, facet_counts, query_without
from directory.search.filters import (
    DEFAULT_RADIUS,
    MAX_RADIUS,
    SORT_CHOICES,
    InitiativeFilter,
    OrganizationFilter,
)
from directory.search.geo import US_STATES
from directory.search.pagination import COUNT_CAP, CappedPaginator, shallow_cap
from directory.search.taxonomy import taxonomy, with_terms
from directory.services.alerts import normalize_query
from directory.services.facet_terms import with_arrays
from directory.structured_data import initiative_jsonld, organization_jsonld

DEFAULT_PAGE_SIZE = 20


MAX_PAGE_SIZE = 100


MAP_LIMIT = 1000


RADIUS_CHOICES = [5, 10, 25, 50, 100, 250, 500]


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
    #: the rows a card shows besides the listing's own (its roles, goals and languages come as
    #: taxonomy terms: ``taxonomy.with_terms``)
    card_related: tuple[str, ...] = ("organization",)
    #: whether the page shows the facets' counts, and its listings' roles, goals and languages
    #: (the embedded list shows neither: only the list's total is counted, and no terms read)
    shows_facets = True
    shows_terms = True
    #: where the template reads the rows (``card_fields`` None): the long columns it does not
    #: show (the full text and search vector are most of a row's bytes), left out of the query
    card_deferred: tuple[str, ...] = (
        "description",
        "search_vector",
        "organization__description",
        "organization__search_vector",
    )
    #: the only columns the cards read (``search.cards.listing_cards``), where the list renders
    #: ``cards`` and not its rows: the list's query then selects these and nothing else (with
    #: the key, the organization's key and the terms' arrays). At 100,000 initiatives a
    #: state's page of twenty took 4.4 ms to build, run and load with every other column and
    #: 2.6 ms with these (the ORM's SQL 1.1 → 0.7 ms, the statement 2.0 → 1.1 ms). None: every
    #: column but ``card_deferred`` (events and embedded lists render the rows themselves).
    #: A column missing here would cost a statement per card: the query-count tests at 3 and
    #: 30 results (``tests/scale/test_query_counts.py``) catch it.
    card_fields: tuple[str, ...] | None = (
        "slug",
        "title",
        "summary",
        "city",
        "state",
        "scope",
        "is_demo",
        "source",
        "welcomes_newcomers",
        "organization__slug",
        "organization__name",
        "organization__cross_partisan",
    )

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
            role_groups=taxonomy().groups,
            selected_roles=request.GET.getlist("role"),
            selected_modes=request.GET.getlist("mode"),
            event_modes=Event.Mode.choices,
            radius=request.GET.get("radius"),
            # First: when the facets count every match, the list knows its total (no COUNT).
            facets=facet_counts(filterset, counted=self.shows_facets),
            view=view,
            query_string=query_without(request.GET, "page").lstrip("?"),
            max_radius=MAX_RADIUS,
            count_cap=COUNT_CAP,
            facet_cap=FACET_CAP,
            default_radius=DEFAULT_RADIUS,
            states=sorted(US_STATES.items(), key=lambda kv: kv[1]),
        )
        context["valid"] = filterset.is_valid()
        context["radius_options"] = radius_options(
            filterset.form.cleaned_data.get("radius") if context["valid"] else None
        )
        if not context["valid"]:
            context.update(errors=filterset.errors, paginator=None, page_obj=None, object_list=[])
            return context
        per_page = page_size_from(request)
        known, cap = shallow_cap(
            filterset.match_count, filterset.counted_to, per_page, request.GET.get("page")
        )
        rows = filterset.qs.select_related(*self.card_related)
        if self.card_fields is None:
            rows = rows.defer(*self.card_deferred)
        else:
            rows = rows.only(*self.card_fields)
        if self.shows_terms:
            rows = with_arrays(rows)  # PostgreSQL: the terms' ids with the rows
        paginator = CappedPaginator(
            rows,
            per_page,
            known_count=known,
            cap=cap,
            # Keys first for an order computed per row, and for a page read among the keys
            # the facets found (``ListingFilter.filter_queryset``): the date or name index
            # alone finds the page's keys among them, without reading a row it will not show.
            keys_first=filterset.computed_order or filterset.among_keys,
            # Newest first through link filters alone, above the facets' cap: the page's keys
            # from the index of the newest initiatives with their arrays (``walks_index``).
            keys_from=filterset.walk_keys() if filterset.walks_index else None,
            # Sorted per row: the facets' first statement sorted the matches already.
            ordered_keys=filterset.ordered_ids if filterset.computed_order else None,
        )
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
        if self.shows_terms:
            page.object_list = with_terms(page.object_list)
        context.update(
            page_obj=page,
            paginator=paginator,
            object_list=page.object_list,
            cards=self.cards(page.object_list),
            chips=self.chips(filterset),
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
            context["map_points"] = self.map_points(filterset.qs)
            context["map_limit"] = MAP_LIMIT
            context["map_tiles"] = {
                "url": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
            }
        return context

    def cards(self, rows) -> list[dict] | None:
        """The page's cards as plain data (``directory.search.cards``); None where the
        template renders the listings themselves (events, embedded lists)."""
        return listing_cards(rows)

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
        # goal, role, group, language: the taxonomy's terms (``filters.TermsField``)
        labels = {
            "goal": lambda o: o.name,
            "role": lambda o: o.label,
            "group": lambda o: o.name,
            "organization": lambda o: o.name,
            "network": lambda o: o.name,
            "language": lambda o: o.name,
        }
        for key, field in filterset.form.fields.items():
            if key not in filterset.data:  # not given (an unused taxonomy filter is a queryset)
                continue
            value = data.get(key)
            if key in ("sort", "radius", "include_national") or value in (None, "", []):
                continue
            if key in ("goal", "role", "group", "language"):
                for obj in value:
                    chips.append(
                        {
                            "label": _chip(field.label, labels[key](obj)),
                            "url": query_without(request.GET, key, obj.slug),
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
    card_related = ()
    card_fields = (
        "slug",
        "name",
        "summary",
        "city",
        "state",
        "scope",
        "is_demo",
        "source",
        "cross_partisan",
        "is_network",
    )


class ListingDetailView(DetailView):
    """A listing's page, with its schema.org JSON-LD (``structured_data``)."""

    @staticmethod
    def jsonld_of(listing, request) -> dict:
        raise NotImplementedError

    def get_object(self, queryset=None):
        # Its roles, goals and languages as the taxonomy's terms (one statement), not prefetched
        # as models: the template and the JSON-LD read ``role_terms``, ``goal_terms`` and
        # ``language_terms``.
        listing = with_terms([super().get_object(queryset)])[0]
        # Its next ten published events, by a short statement of their own. A prefetch limited
        # to ten numbers every event of the listing in a window function, and building that
        # statement was a third of the page's Python: 17 % fewer function calls per page.
        # Only what the page shows of each (a link, a title, a start in the event's zone) and
        # the key back to this listing, which the related manager reads: reading every column
        # took 0.6 ms more than reading these.
        events = listing.events
        listing.upcoming_events = list(
            events.published()
            .upcoming()
            .only("slug", "title", "starts_at", "all_day", "timezone", events.field.attname)
            .order_by("starts_at")[:10]
        )
        return listing

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["jsonld"] = self.jsonld_of(self.object, self.request)
        return context


class InitiativeDetailView(ListingDetailView):
    """An initiative: how to help first, then what it is, who runs it, and where."""

    template_name = "directory/initiative_detail.html"
    context_object_name = "initiative"
    jsonld_of = staticmethod(initiative_jsonld)

    def get_queryset(self):
        return with_arrays(  # PostgreSQL: its terms' ids with its row (``with_terms``)
            Initiative.objects.published()
            .select_related("organization")
            .prefetch_related("sources")  # the Sources section and the JSON-LD's sameAs
        )


class OrganizationDetailView(ListingDetailView):
    """An organization with its published initiatives and the networks it belongs to."""

    template_name = "directory/organization_detail.html"
    context_object_name = "organization"
    jsonld_of = staticmethod(organization_jsonld)

    def get_queryset(self):
        published = Organization.objects.published()
        members = Membership.objects.filter(organization=OuterRef("pk"))
        # PostgreSQL: its terms' ids with its row (``with_terms``)
        return with_arrays(published.annotate(has_members=Exists(members))).prefetch_related(
            "sources",  # the Sources section and the JSON-LD's sameAs
            Prefetch(
                "initiatives",
                queryset=Initiative.objects.published().order_by("title"),
                to_attr="published_initiatives",
            ),
            Prefetch("networks", queryset=published.order_by("name"), to_attr="published_networks"),
            Prefetch("members", queryset=published.order_by("name"), to_attr="published_members"),
        )


class EmbedMixin:
    """A small, self-contained list for partners' <iframe>s (the only pages that may be
    framed), with a link to the same search on the full list (``full_list``, a route name)."""

    full_list = ""
    shows_facets = shows_terms = False  # one line per listing: its title, organization, place
    card_fields = None  # the template reads the rows

    def cards(self, rows) -> None:
        return None  # the embedded list is one line per listing, from the listings themselves

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
