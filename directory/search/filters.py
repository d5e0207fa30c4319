"""One FilterSet per listing. The HTML pages and the API use the same classes, so they agree."""

from collections.abc import Callable

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BigAutoField, F, Lookup, Q
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import ModelMultipleChoiceField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from directory.models import Event, Initiative, Language, Organization, Scope
from directory.search.geo import US_STATES, ZipInfo, lookup_zip
from directory.search.pagination import COUNT_CAP, ScanOrder, capped_count
from directory.search.taxonomy import Taxonomy, taxonomy
from directory.services import facet_terms
from goals.models import Goal
from roles.models import Kind, Role, RoleGroup

DEFAULT_RADIUS = 25
MAX_RADIUS = 500
SORT_CHOICES = [
    ("relevance", _("Best match")),
    ("newest", _("Newest")),
    ("name", _("Name (A–Z)")),
    ("distance", _("Distance")),
]


class TermsField(ModelMultipleChoiceField):
    """Slugs of taxonomy terms, checked against the process's taxonomy snapshot (no query, no
    model instance): its cleaned value is the chosen terms (``taxonomy.Term``, ``Group``),
    which the filters and the chips read. The errors are Django's own."""

    def __init__(self, *args, terms: Callable[[Taxonomy], dict], **kwargs):
        self.terms = terms  # the snapshot's terms of this kind, by slug
        super().__init__(*args, **kwargs)

    def _check_values(self, value):
        try:
            value = frozenset(value)
        except TypeError:  # a list of lists, say
            raise ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from None
        for slug in value:
            self.validate_no_null_characters(slug)
        known = self.terms(taxonomy())
        for slug in value:
            if str(slug) not in known:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": slug},
                )
        return [known[str(slug)] for slug in value]


@extend_schema_field(OpenApiTypes.STR)
class SlugsFilter(filters.ModelMultipleChoiceFilter):
    """One or more slugs of a taxonomy term (repeat the parameter for "any of"). ``terms``: the
    taxonomy snapshot's terms of this kind, by slug (``TermsField``)."""

    field_class = TermsField

    def __init__(self, *args, terms: Callable[[Taxonomy], dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.extra["terms"] = terms


def _unknown(message) -> dict:
    """``message`` names the kind of term and holds ``%(value)s``, the value given."""
    return {"invalid_choice": message}


FIRST_YEAR, LAST_YEAR = 1900, 2200


def _in_years(value):
    if value is not None and not (FIRST_YEAR <= value.year <= LAST_YEAR):
        raise forms.ValidationError(
            _("Choose a date between %(first)s and %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return value


def any_key(keys) -> tuple[str, list]:
    """PostgreSQL: "is one of these integer keys", as SQL to follow a column and its one
    parameter: the keys as a single array literal (``'{1,2,3}'::bigint[]``).

    psycopg writes a Python list out element by element in Python: four lists of 1,000 keys
    (a facet statement's parts) took 2.7 ms to write into the statement, this string 0.14."""
    return "= ANY(%s::bigint[])", ["{" + ",".join(map(str, keys)) + "}"]


class AnyOf(Lookup):
    """``key__any_of=[…]``: the key is one of the list, given to PostgreSQL as one array."""

    lookup_name = "any_of"
    prepare_rhs = False  # a list of keys, passed as it is

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        sql, keys = any_key(self.rhs)
        return f"{lhs} {sql}", [*params, *keys]


BigAutoField.register_lookup(AnyOf)


def among(keys: list, using: str) -> Q:
    """Rows whose key is one of ``keys``. On PostgreSQL the keys go as one array (``AnyOf``):
    a thousand keys written out as a list took 6 ms to send and plan, the array 3.5."""
    if connections[using].vendor == "postgresql":
        return Q(pk__any_of=keys)
    return Q(pk__in=keys)


class ListingFilterForm(forms.Form):
    """Cross-field rules for the filters: a place to search near, a radius in range, a sort."""

    #: the place ``near`` names once it is clean (looked up once per request)
    place: ZipInfo | None = None

    def clean_updated_since(self):
        return _in_years(self.cleaned_data.get("updated_since"))

    def clean_from(self):
        return _in_years(self.cleaned_data.get("from"))

    def clean_to(self):
        return _in_years(self.cleaned_data.get("to"))

    def clean_near(self):
        value = (self.cleaned_data.get("near") or "").strip()
        if not value:
            return ""
        # The value goes in ``params``, not into the message: the API formats messages with
        # their params, and a "%" typed into the box must stay text ("%_%" is no ZIP code).
        if not (len(value) == 5 and value.isascii() and value.isdigit()):
            raise forms.ValidationError(
                _("“%(zip)s” is not a 5-digit ZIP code."), params={"zip": value}
            )
        self.place = lookup_zip(value)
        if self.place is None:
            raise forms.ValidationError(
                _("We don’t know the ZIP code %(zip)s."), params={"zip": value}
            )
        return value

    def clean_radius(self):
        value = self.cleaned_data.get("radius")
        if value is not None and not (1 <= value <= MAX_RADIUS):
            raise forms.ValidationError(
                _("Choose a radius from 1 to %(max)s miles.") % {"max": MAX_RADIUS}
            )
        return value

    def clean_state(self):
        return [code.upper() for code in self.cleaned_data.get("state") or []]

    def clean(self):
        data = super().clean()
        if data.get("sort") == "distance" and not data.get("near"):
            self.add_error("sort", _("Sorting by distance needs a ZIP code to measure from."))
        if data.get("radius") is not None and not data.get("near") and "near" not in self.errors:
            self.add_error("near", _("Enter a ZIP code to search within a radius."))
        return data


class UpperMultipleChoiceField(forms.MultipleChoiceField):
    """Accepts ``co`` as well as ``CO``."""

    def to_python(self, value):
        return [str(v).strip().upper() for v in super().to_python(value)]


class StateFilter(filters.MultipleChoiceFilter):
    field_class = UpperMultipleChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)  # a column of the row itself: no duplicates
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class StrictBooleanFilter(filters.TypedChoiceFilter):
    """``true`` or ``false``; anything else is an error, not silently ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", _("yes")), ("false", _("no"))])
        kwargs.setdefault("coerce", lambda value: value == "true")
        kwargs.setdefault("empty_value", None)
        kwargs.setdefault(
            "error_messages",
            # Translators: “true” and “false” are the values to type; keep them in English.
            {"invalid_choice": _("Use “true” or “false”, not “%(value)s”.")},
        )
        super().__init__(*args, **kwargs)


class Shared(dict):
    """A FilterSet's filters, or its form's fields, shared by every request's FilterSet and form.

    django-filter deep-copies every filter for each FilterSet, and Django every field for each
    form: with their choices, querysets and widgets, over a thousand objects copied per list
    page (about a millisecond here). Ours hold nothing of a request: ``ListingFilter.apply``
    calls a filter's method on its own FilterSet, never through the filter's ``parent`` or
    ``model``, which every new FilterSet overwrites (the filters ``ListingFilter`` declares are
    shared by its subclasses too, so ``parent`` may even be another kind's FilterSet: never
    call a shared filter's ``filter`` for a filter with a ``method``). Nothing changes a shared
    field either: the filters form is written out in its template, and the browsable API's
    rendering of it changes no widget."""

    def __deepcopy__(self, memo) -> dict:
        return dict(self)


class ListingFilter(filters.FilterSet):
    """Filters shared by organizations and initiatives (see ARCHITECTURE.md, "Filters")."""

    q = filters.CharFilter(method="filter_q", max_length=200, label=_("Keywords"))
    goal = SlugsFilter(
        queryset=Goal.objects.all(),
        to_field_name="slug",
        terms=lambda snapshot: {term.slug: term for term in snapshot.goals},
        method="filter_goal",
        error_messages=_unknown(_("There is no goal “%(value)s”.")),
        label=_("Goal"),
    )
    role = SlugsFilter(
        queryset=Role.objects.with_label(),
        to_field_name="slug",
        terms=lambda snapshot: {term.slug: term for term in snapshot.roles.values()},
        method="filter_role",
        error_messages=_unknown(_("There is no role “%(value)s”.")),
        label=_("Role"),
    )
    group = SlugsFilter(
        queryset=RoleGroup.objects.all(),
        to_field_name="slug",
        terms=lambda snapshot: {group.slug: group for group in snapshot.groups},
        method="filter_group",
        error_messages=_unknown(_("There is no role group “%(value)s”.")),
        label=_("Role group"),
    )
    kind = filters.ChoiceFilter(choices=Kind.choices, method="filter_kind", label=_("Kind of role"))
    state = StateFilter(
        choices=sorted(US_STATES.items()),
        label=_("State"),
        error_messages={"invalid_choice": _("“%(value)s” is not a U.S. state code.")},
    )
    scope = filters.MultipleChoiceFilter(distinct=False, choices=Scope.choices, label=_("Scope"))
    near = filters.CharFilter(method="filter_noop", max_length=5, label=_("Near ZIP code"))
    radius = filters.NumberFilter(method="filter_noop", label=_("Within (miles)"))
    include_national = StrictBooleanFilter(
        method="filter_noop", label=_("Include national and online work")
    )
    updated_since = filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        # The label django-filter would derive from the field name, made translatable.
        label=_("Updated at is greater than or equal to"),
    )
    language = SlugsFilter(
        queryset=Language.objects.all(),
        to_field_name="code",
        terms=lambda snapshot: snapshot.languages_by_code,
        method="filter_language",
        error_messages={"invalid_choice": _("There is no language with the code “%(value)s”.")},
        label=_("Serves people in"),
    )
    sort = filters.ChoiceFilter(choices=SORT_CHOICES, method="filter_noop", label=_("Sort by"))

    #: the default order when no ``sort`` applies
    default_sort = "newest"
    name_field = "name"

    class Meta:
        form = ListingFilterForm
        fields: list[str] = []

    #: each FilterSet class's form class, built once (``get_form_class``)
    _form_classes: dict[type, type] = {}

    def get_form_class(self):
        """The form class, built once per FilterSet class: django-filter builds it, and a form
        field for every filter, on every request. Its fields are shared by every form of the
        class, not copied for each (``Shared``)."""
        form_class = ListingFilter._form_classes.get(type(self))
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = Shared(form_class.base_fields)
            ListingFilter._form_classes[type(self)] = form_class
        return form_class

    @classmethod
    def get_filters(cls) -> Shared:
        return Shared(super().get_filters())

    def __init__(self, data=None, *args, **kwargs):
        # As in an HTML form, an empty value ("state=", "role=") means "not given".
        if data is not None and hasattr(data, "getlist"):
            data = data.copy()
            for key in list(data.keys()):
                values = [v for v in data.getlist(key) if v.strip()]
                if values:
                    data.setlist(key, values)
                else:
                    del data[key]
        super().__init__(data, *args, **kwargs)

    # Many-to-many filters use a subquery on the link table, so rows never repeat and no
    # DISTINCT is needed (it is costly on large result sets). A page read through the filters
    # on PostgreSQL may check the arrays on the initiative's row instead (``walk_keys``).
    def _linked(self, queryset, field: str, lookup: str, value):
        if not value:
            return queryset
        if self._on_arrays:
            return queryset.filter(facet_terms.overlaps(field, value))
        through = self._meta.model._meta.get_field(field).remote_field.through
        owner = self._meta.model._meta.model_name
        ids = through.objects.filter(**{lookup: value}).values(f"{owner}_id")
        return queryset.filter(pk__in=ids)

    @staticmethod
    def _pks(value) -> list:
        """The chosen terms' keys (``TermsField``): nothing is looked up again."""
        return [term.pk for term in value]

    def filter_goal(self, queryset, name, value):
        return self._linked(queryset, "goals", "goal_id__in", self._pks(value))

    def filter_role(self, queryset, name, value):
        return self._linked(queryset, "roles", "role_id__in", self._pks(value))

    # A group or kind of role is the list of its roles' keys, read from the taxonomy snapshot:
    # the statement names them, so PostgreSQL estimates how many links match (a join to the
    # roles table hid that, and it chose plans that read every link of the group first).
    def filter_group(self, queryset, name, value):
        # The chosen groups are the snapshot's (``TermsField``): they carry their roles.
        return self._linked_roles(queryset, [role.pk for group in value for role in group.roles])

    def filter_kind(self, queryset, name, value):
        roles = [r.pk for g in taxonomy().groups if g.kind == value for r in g.roles]
        return self._linked_roles(queryset, roles)

    def _linked_roles(self, queryset, roles: list[int]):
        if not roles:  # a group without roles: nothing is linked to it
            return queryset.none()
        return self._linked(queryset, "roles", "role_id__in", roles)

    def filter_language(self, queryset, name, value):
        return self._linked(queryset, "languages", "language_id__in", self._pks(value))

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_noop(self, queryset, name, value):
        return queryset  # applied together in apply()

    #: False when a search matched too many listings to rank them by relevance
    ranked = True
    #: how many listings PostgreSQL expected a search to match, when that many were too many to
    #: count and rank (``facets.RANK_ESTIMATE_CAP``) and more than ``facets.FACET_CAP`` did
    rank_estimate: int | None = None
    #: the order the list came out in (``order``): "relevance", "distance", "name" or the default
    sorted_by = ""
    #: how many listings match, counted up to COUNT_CAP + 1 (the paginator's ``raw_count``),
    #: when something has already counted them: the facets (``facets.facet_counts``, when
    #: every match was counted) or the relevance sort (``order``)
    match_count: int | None = None
    #: how far ``match_count`` was counted: the facets stop at FACET_CAP unless the list may be
    #: ranked (``may_rank``), and the list's own count (the paginator's) at COUNT_CAP
    counted_to: int = COUNT_CAP
    #: the keys of every matching listing, when the facets read them all (no more than
    #: ``facets.FACET_CAP``): the list's page is then read among them (``filter_queryset``)
    match_ids: list | None = None
    #: for a list sorted per row (relevance, distance; ``scan_order``): the keys of its first
    #: matches (up to ``facets.FACET_CAP`` + 1) in the list's own order, when the facets'
    #: first statement read every match and sorted them: a page among them is read by its
    #: keys (``CappedPaginator``), not by sorting every match again
    ordered_ids: list | None = None

    @property
    def place(self) -> ZipInfo | None:
        """The place ``near`` names (looked up once, when the form was cleaned)."""
        return self.form.place if self.form.cleaned_data.get("near") else None

    #: filters that keep a list's page read through them (``among_keys``): a state's or a
    #: scope's listings are in one of the order's indexes, by date, so a page is found at
    #: once; a search near a ZIP code annotates each row with its distance, which its cards
    #: show whatever the order
    READ_THROUGH = frozenset({"state", "scope", "near"})

    @property
    def among_keys(self) -> bool:
        """Whether the list's page is read among the keys the facets found (``match_ids``):
        they are known, the order is an index's (not computed per row), and no filter of
        ``READ_THROUGH`` is given. For a state and a goal at 100,000 initiatives the state's
        date index finds the page in 0.7 ms, its keys among the matches' 3.5 ms."""
        given = self.data.keys() if self.data is not None else ()
        return (
            self.match_ids is not None
            and not self.computed_order
            and self.READ_THROUGH.isdisjoint(given)
        )

    #: filters read from the link tables, or (``walk_keys``) from the arrays on the row
    LINKED = frozenset({"goal", "role", "group", "kind", "language"})
    #: while building a statement whose link filters go over the arrays (``_linked``):
    #: ``walk_keys``'s, or one with a state or a scope (``_bounded``)
    _on_arrays = False

    @property
    def walks_index(self) -> bool:
        """Whether the list's page keys are read by ``walk_keys``: PostgreSQL keeps the
        arrays, the page is not read among known keys (``among_keys``: more matches than the
        facets collect), the list is newest first and only link filters are given. The page's
        keys then come from one index of the newest initiatives with their arrays alone
        (migration 0030), where a walk through the filters read each newest initiative's row
        and probed a link table for it until a page matched: at a million initiatives, a goal
        and a role, 52 buffers for a page's keys instead of 9,823 (0.7 ms instead of 13.7).
        With a state or a scope every statement already reads the arrays (``_bounded``); with
        another filter the walk reads each row anyway, so the link tables serve as before.
        Call after ``qs``."""
        # ``sort``: the order itself is checked (newest first, asked for or by default).
        given = self._given_filters()
        given.discard("sort")
        return (
            self._meta.model is Initiative
            and not self.among_keys
            and self.sorted_by == "newest"
            and bool(given)
            and given <= self.LINKED
            and facet_terms.available(connections[self.queryset.db])
        )

    #: the initiative's own columns whose indexes by date carry the arrays (migration 0031)
    BOUNDED = frozenset({"state", "scope"})
    #: filters that keep the link tables even with a state or scope (``_bounded``)
    UNBOUNDED = frozenset({"q", "near"})

    def _bounded(self, given, without: frozenset[str]) -> bool:
        """Whether a statement with the ``given`` filters but those ``without`` checks its link
        filters on the arrays (PostgreSQL): a state or a scope is among them, and no search or
        place. Its matches are then read from that column's index of the newest initiatives,
        which carries the arrays (migration 0031), alone: each entry is checked as it is read,
        and the walk ends at the state's (or scope's) last entry. At a million initiatives (the
        statements alone, every page in PostgreSQL's memory) the facets' first 1,001 matches of
        a goal in Mississippi took 2.2 ms instead of 27, a role group's in the regional scope
        4.8 ms instead of 21.5, and the API list's count of a goal in New York (9,187) 17 ms
        instead of 32. A rare pair in a large scope reads every
        entry of it (the local scope's 470,000: 173 ms, where the link tables took 85 ms), but
        it is slow either way. A search or a place finds its rows by another index."""
        names = {name for name in given if name not in without}
        return (
            self._meta.model is Initiative
            and not self.BOUNDED.isdisjoint(names)
            # A search or a place is in every statement (``scan_order`` leaves the place out
            # only to add its parts back): ``given``, not ``names``.
            and self.UNBOUNDED.isdisjoint(given)
            and not self.LINKED.isdisjoint(names)
            and facet_terms.available(connections[self.queryset.db])
        )

    #: filters that choose no rows by themselves (``covered``): an order, and a place's radius
    #: and national work, which only apply with a place
    ROWLESS = frozenset({"sort", "radius", "include_national"})

    def covered(self, without: frozenset[str] = frozenset()) -> bool:
        """Whether a statement with the given filters but those ``without`` is a state or a
        scope alone (initiatives on PostgreSQL, no words or place): its matches are then one
        range of that column's index that carries the arrays (migration 0031), with every
        column the facets count. The facets' counts read them again through it
        (``facets._counts``), a few pages, instead of each match's row by its key: for a
        state's 645 matches at 100,000 initiatives, 21 buffers instead of 1,957. Not with a
        link filter too: its matches may be a few of a long range (a rare role in the local
        scope: 470,000 entries at a million), which the keys statement has walked once
        already."""
        given = self._given_filters()
        names = given - without - self.ROWLESS
        return (
            self._meta.model is Initiative
            and bool(names)
            and names <= self.BOUNDED
            and self.UNBOUNDED.isdisjoint(given)
            and facet_terms.available(connections[self.queryset.db])
        )

    def _given_filters(self) -> set[str]:
        """The names of the filters the request gives (not the page, the view, or unknowns)."""
        return set(self.data.keys() if self.data is not None else ()) & set(self.filters)

    def links_only(self) -> bool:
        """Whether the list's own matches are chosen by two or more link filters and nothing
        else (a goal and a role, say: no state, scope, words, place or other column), for
        initiatives on PostgreSQL. The facets' first statement then finds them through the
        arrays on the rows, from the index of the visible initiatives by their terms
        (migration 0037, GIN: the terms' lists of rows intersected), and the rows it reads
        carry the columns the facets count (``facets._counts``), where the link tables'
        indexes found the keys (a goal's every link merged with a role's) and a second
        statement read every match's row again by key to count them. At 100,000 initiatives,
        a goal and a role matching 850: 13 ms for the keys and 10 to count, against 5.5 ms
        for both together. Only when the planner expects few matches
        (``facets.LINKED_ESTIMATE_CAP``): the index gives every match before a row is read,
        where the link tables' merge stops at the first FACET_CAP + 1.

        Not for one link filter alone, nor for the facets' statements that leave one out:
        those mostly match more than FACET_CAP, whose first keys the link table's index gives
        without reading a row (a role's first 1,001 matches: 2.3 ms, against 2.8-3.7 through
        the rows). Not for the API, which counts to COUNT_CAP, nor a page's keys, which are
        read among the known keys or by ``walk_keys``."""
        given = self._given_filters()
        names = given - self.ROWLESS
        return (
            self._meta.model is Initiative
            and len(names) >= 2
            and names <= self.LINKED
            and facet_terms.available(connections[self.queryset.db])
        )

    def walk_keys(self):
        """The list's matches in its order with the link filters checked on the arrays each
        initiative's row carries (``facet_terms.overlaps``) instead of in the link tables: for a
        page's keys (``walks_index``). The count and the facets keep the link tables: to find
        every match of a rare pair, their indexes by term are what is fast (11.6 ms for 1,001
        keys at a million initiatives, against 43 ms walking the arrays)."""
        self._on_arrays = True
        try:
            return self.apply(self.queryset.all()).order_by(*self.ordering_for(self.sorted_by))
        finally:
            self._on_arrays = False

    def filter_queryset(self, queryset):
        ordered = self.order(self.apply(queryset))
        if not self.among_keys:
            return ordered
        # Every match's key is known (the facets read them): the page is read among those
        # keys, in the list's order, and no filter runs again. Read through the filters, a
        # page sorted by date walks the newest listings, reads each row and checks its links
        # until twenty match: 4,101 rows for twenty (18 ms) for a goal and a role at 100,000
        # initiatives. Among the keys (the view reads a page's keys first, then its rows) the
        # walk reads the date index alone: 1.3 ms, then twenty rows by key. An order computed
        # per row (relevance, distance) needs the filters' own annotations: it keeps its query.
        return queryset.filter(among(self.match_ids, queryset.db)).order_by(
            *self.ordering_for(self.sorted_by)
        )

    def apply(self, queryset, without: frozenset[str] = frozenset(), arrays: bool = False):
        """``queryset`` with every given filter except those named in ``without``, unordered.

        The list, its count and every facet (``without`` its own filter) share this one bound,
        validated FilterSet: nothing is parsed, validated or looked up twice. Filters the
        request does not give are skipped without being called. ``arrays``: the link filters
        are checked on the arrays on the row (the facets' first statement, ``links_only``)."""
        given = self.data.keys() if self.data is not None else ()
        outer = self._on_arrays  # ``walk_keys`` may have set it for its whole statement
        try:
            # this statement only
            self._on_arrays = outer or arrays or self._bounded(given, without)
            for name, value in self.form.cleaned_data.items():
                if name in given and name not in without:
                    queryset = self._filter(self.filters[name], queryset, value)
        finally:
            self._on_arrays = outer
        place = self.place
        if place is not None and "near" not in without:
            queryset = queryset.near(
                place, self._radius(), bool(self.form.cleaned_data.get("include_national"))
            )
        return queryset

    def _radius(self) -> float:
        return float(self.form.cleaned_data.get("radius") or DEFAULT_RADIUS)

    def _filter(self, filter_, queryset, value):
        """``filter_`` applied, its ``method`` called on this FilterSet (the filters are shared:
        ``Shared``), as django-filter's ``FilterMethod`` would call it on the filter's parent."""
        if filter_.method is None:
            return filter_.filter(queryset, value)
        if value in EMPTY_VALUES:
            return queryset
        method = filter_.method
        method = method if callable(method) else getattr(self, method)
        return method(queryset, filter_.field_name, value)

    def without(self, name: str):
        """The listings every filter but ``name`` lets through (for ``name``'s facet counts)."""
        return self.apply(self.queryset.all(), without=frozenset({name}))

    def _requested_sort(self) -> str:
        """The order asked for (or the default), before counting: relevance may still give way
        to the default order when too many listings match (``order``)."""
        data = self.form.cleaned_data
        place = self.place
        sort = data.get("sort") or (
            "relevance" if data.get("q") else "distance" if place else self.default_sort
        )
        if sort == "relevance" and not data.get("q"):
            sort = "distance" if place else self.default_sort
        return sort

    def scan_order(self) -> ScanOrder | None:
        """For a list sorted per row, how the facets' first statement, which reads the
        matches' keys anyway, sorts them too (``facets._counts``), so that the list's first
        pages need no statement of their own that sorts every match again. None for an order
        an index gives (the page is read among the keys, ``among_keys``, or through it).

        Relevance reads no more than COUNT_CAP + 1 matches (ranking more takes seconds, and
        the list then comes out newest first, ``order``), and its keys are in the list's order
        only when every match was read. Distance keeps the nearest FACET_CAP + 1 matches in a
        bounded sort (``ScanOrder.ordering``), which are the list's first however many match.
        With national work included, every national listing matches, with no distance: for
        initiatives its parts (``near_parts``) keep the first of them in name order from an
        index (migration 0036), where the page's own statement sorted all of them (at a
        million initiatives, 117,140: about a second); organizations and events read their
        first FACET_CAP + 1 matches unsorted, and the page sorts them all, as before."""
        sort = self._requested_sort()
        name = self.name_field
        if sort == "relevance":
            return ScanOrder(("rank", name), "2 DESC, 3 ASC, 1 ASC", COUNT_CAP + 1, reads_rows=True)
        national = bool(self.form.cleaned_data.get("include_national"))
        if sort == "distance" and self.place is not None:
            # Every filter but the place, then the place's parts (``near_parts``): the work
            # within reach and the state's statewide work (and national work), each from an
            # index that holds the place and the name (migrations 0032, 0035, 0036), where one
            # statement read every candidate's row. Within 100 miles of San Francisco at a
            # million initiatives (25,871 rows within reach, 13,748 statewide), the statement
            # alone with every page in PostgreSQL's memory: 184 ms → 45 ms.
            # Initiatives only: the indexes are theirs, and an event's dates would be looked
            # up again (``EventFilter.apply``).
            parts = ()
            if self._meta.model is Initiative:
                others = self.apply(self.queryset.all(), without=frozenset({"near"}))
                parts = tuple(others.near_parts(self.place, self._radius(), national))
            elif national:
                return None  # every national listing matches: see above
            return ScanOrder(
                ("distance", name),
                "2 ASC NULLS LAST, 3 ASC, 1 ASC",
                None,
                parts,
                ordering=(F("distance").asc(nulls_last=True), name, "pk"),
                stops=(2,) if national and parts else (),  # national work beyond the box
            )
        return None

    def order(self, queryset):
        place = self.place
        sort = self._requested_sort()
        if sort == "relevance":
            # Counted before ranking; the list's paginator counts nothing again.
            if self.match_count is None:
                self.match_count = capped_count(queryset)
            if self.rank_estimate is not None or self.match_count > COUNT_CAP:
                # Ranking hundreds of thousands of matches takes seconds; the newest of them
                # come back in a millisecond. The page and the API say so (``ranked`` False).
                sort = "distance" if place else self.default_sort
                self.ranked = False
                self.ordered_ids = None  # keys in relevance order: not this list's order
        self.sorted_by = sort
        return queryset.order_by(*self.ordering_for(sort))

    @property
    def may_rank(self) -> bool:
        """Whether the list may come out ranked by relevance: words to search, and no other
        order asked for. Ranking needs to know whether more than COUNT_CAP listings match."""
        data = self.form.cleaned_data
        return bool(data.get("q")) and data.get("sort") in (None, "", "relevance")

    @property
    def computed_order(self) -> bool:
        """Whether the list's order is computed for each row (a distance, a relevance) rather
        than read from an index: the database then sorts every match to find a page."""
        return self.sorted_by in ("relevance", "distance")

    def ordering_for(self, sort: str) -> list:
        tie = [self.name_field, "pk"]
        if sort == "relevance":
            return ["-rank", *tie]
        if sort == "distance":
            return [F("distance").asc(nulls_last=True), *tie]
        if sort == "name":
            return tie
        # Plain DESC (NULLS FIRST, as the index is built): "NULLS LAST" would make PostgreSQL
        # sort every published row instead of reading the (status, -published_at) index, 6 s
        # instead of milliseconds at a million rows. Published listings always have the date.
        return ["-published_at", "-pk"]


class InitiativeFilter(ListingFilter):
    organization = filters.ModelChoiceFilter(
        queryset=Organization.objects.published(),
        to_field_name="slug",
        error_messages=_unknown(_("There is no published organization “%(value)s”.")),
        label=_("Organization"),
    )
    newcomers = StrictBooleanFilter(field_name="welcomes_newcomers", label=_("Welcomes newcomers"))

    cross_partisan = StrictBooleanFilter(
        field_name="organization__cross_partisan",
        label=_("Run by organizations working across the political divide (self-declared)"),
    )

    name_field = "title"

    class Meta(ListingFilter.Meta):
        model = Initiative


class OrganizationFilter(ListingFilter):
    network = filters.ModelChoiceFilter(
        queryset=Organization.objects.published().filter(is_network=True),
        to_field_name="slug",
        field_name="networks",
        error_messages=_unknown(_("There is no network “%(value)s”.")),
        label=_("Member of network"),
    )

    cross_partisan = StrictBooleanFilter(
        field_name="cross_partisan", label=_("Works across the political divide (self-declared)")
    )

    default_sort = "name"

    class Meta(ListingFilter.Meta):
        model = Organization


class EventFilter(ListingFilter):
    """Events: the listing filters plus dates (``from``, ``to``), ``mode`` and ``past``."""

    date_from = filters.DateFilter(method="filter_noop", label=_("From"))
    date_to = filters.DateFilter(method="filter_noop", label=_("To"))
    mode = filters.MultipleChoiceFilter(
        distinct=False, choices=Event.Mode.choices, label=_("Format")
    )
    organization = filters.ModelChoiceFilter(
        queryset=Organization.objects.published(),
        to_field_name="slug",
        error_messages=_unknown(_("There is no published organization “%(value)s”.")),
        label=_("Organization"),
    )
    initiative = filters.ModelChoiceFilter(
        queryset=Initiative.objects.published(),
        to_field_name="slug",
        error_messages=_unknown(_("There is no published initiative “%(value)s”.")),
        label=_("Initiative"),
    )
    past = StrictBooleanFilter(method="filter_noop", label=_("Include past events"))
    sort = filters.ChoiceFilter(
        choices=[("soonest", _("Soonest first")), *SORT_CHOICES],
        method="filter_noop",
        label=_("Sort by"),
    )

    default_sort = "soonest"
    name_field = "title"

    class Meta(ListingFilter.Meta):
        model = Event

    def apply(self, queryset, without: frozenset[str] = frozenset(), arrays: bool = False):
        data = self.form.cleaned_data
        start, end = data.get("from"), data.get("to")
        if start or end:
            queryset = queryset.filter(pk__in=self._in_local_dates(queryset, start, end))
        elif not data.get("past"):
            queryset = queryset.upcoming()
        return super().apply(queryset, without, arrays)

    @staticmethod
    def _in_local_dates(queryset, start, end) -> list[int]:
        """Events that overlap [start, end] in *their own* time zone (dates are local).

        The database narrows the candidates with a window wide enough for every U.S. time zone;
        the exact local-date test then runs on those few rows.
        """
        from datetime import datetime, time, timedelta
        from zoneinfo import ZoneInfo

        utc = ZoneInfo("UTC")
        window = queryset
        if start:
            low = datetime.combine(start, time.min, utc) - timedelta(hours=14)
            window = window.filter(
                Q(ends_at__gte=low) | Q(ends_at__isnull=True, starts_at__gte=low)
            )
        if end:
            high = datetime.combine(end, time.max, utc) + timedelta(hours=12)
            window = window.filter(starts_at__lte=high)
        ids = []
        for pk, starts_at, ends_at, zone_name in window.values_list(
            "pk", "starts_at", "ends_at", "timezone"
        ).order_by():
            try:
                zone = ZoneInfo(zone_name)
            except (KeyError, ValueError):
                zone = utc
            first = starts_at.astimezone(zone).date()
            last = (ends_at or starts_at).astimezone(zone).date()
            if (start is None or last >= start) and (end is None or first <= end):
                ids.append(pk)
        return ids

    def ordering_for(self, sort: str) -> list:
        if sort == "soonest":
            return ["starts_at", "title", "pk"]
        return super().ordering_for(sort)


# The public parameter names are "from" and "to" (Python keywords, so renamed here).
EventFilter.base_filters["from"] = EventFilter.base_filters.pop("date_from")
EventFilter.base_filters["to"] = EventFilter.base_filters.pop("date_to")
