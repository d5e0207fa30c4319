"""Pagination that stays fast on a million rows: counts stop at a cap, and so do page numbers.

An exact ``COUNT(*)`` over a million matching rows takes about half a second on PostgreSQL, and
``OFFSET`` deep into them grows with the depth. People do not read past a few pages, so lists
count at most ``COUNT_CAP`` rows (and say "more than …" when there are more), and pages stop
there: a search that matches more is narrowed with the filters. Programs that need every row use
the exports (``?format=csv``), which stream, or the change feed, which pages by keyset.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000
#: Pages starting after this many rows read their rows' ids first (an index-only scan can skip
#: the OFFSET rows cheaply), then only those rows: a "deferred join".
DEFER_AFTER = 200


@dataclass(frozen=True)
class ScanOrder:
    """A list's order computed per row, as the statement that reads its matches' keys applies
    it (``facets._counts``): the values it sorts on after the key (``values``: annotations or
    fields, as ``values_list`` takes them), the ``ORDER BY`` over them by position (1 is the
    key, 2 the first value…), and how many matches it reads at most (``limit``; None: all).
    ``parts``: querysets whose union is the list's matches, read instead of the list's one
    queryset (a search near a ZIP code: ``ListingQuerySet.near_parts``); none: the list's.
    ``reads_rows``: the order is computed from each match's row (relevance reads its words
    there), so the statement can carry the columns the facets count at no extra read; an
    order an index holds (distance: the place's index) reads no row and carries nothing.
    ``ordering``: the same order as ``order_by``, as ``QuerySet.order_by`` takes it, when the
    statement sorts the matches before it keeps the first of them (with ``limit`` None: the
    facets' cap, FACET_CAP + 1): its keys are then the list's first however many match, and
    the database keeps the nearest few in a bounded sort instead of sorting and counting
    every match. ``stops``: the positions in ``parts`` of those that keep their own first
    ``limit`` as well, in that order, where the database supports it (PostgreSQL): a part
    read in order from an index then stops there (national work beyond the box, by name)."""

    values: tuple[str, ...]
    order_by: str
    limit: int | None
    parts: tuple = ()
    reads_rows: bool = False
    ordering: tuple = ()
    stops: tuple[int, ...] = ()


def capped_count(queryset, cap: int = COUNT_CAP) -> int:
    """How many rows match, counting no further than ``cap + 1``. Not cached: a page asked
    again comes from the HTTP page store or the API's answers (docs/deploy.md)."""
    # No sort, no annotations: cheap. Django counts a query that can match nothing (``none()``)
    # as 0 without a statement.
    return queryset.order_by().values("pk")[: cap + 1].count()


class CappedPaginator(Paginator):
    """A Paginator whose ``count`` is exact up to ``cap`` rows and ``cap`` beyond (``capped``)."""

    cap = COUNT_CAP

    def __init__(
        self,
        object_list,
        per_page,
        *args,
        known_count: int | None = None,
        keys_first: bool = False,
        cap: int | None = None,
        ordered_keys: list | None = None,
        keys_from=None,
        **kwargs,
    ):
        """``known_count``: the exact number of rows, when the caller has already counted them
        (the facet counts do, up to their cap): no COUNT runs then.

        ``keys_first``: every page reads its rows' keys first, then only those rows, as deep
        pages do. For an order computed per row (distance, relevance) the database sorts every
        match: without the joins (``select_related``) the sort reads only the listings' own
        rows, and the joined rows are read for the page alone (22 → 13 ms near a ZIP in New
        York at 100,000 initiatives, where 2,290 initiatives are within reach).

        ``ordered_keys``: the keys of the list's first rows, in its order, already read (the
        facets' first statement sorts them when the order is computed per row:
        ``ListingFilter.ordered_ids``). A page among them is read by its keys alone; a page
        past them as above.

        ``keys_from``: a queryset of the same rows in the same order that finds keys faster
        than ``object_list`` does (``ListingFilter.walk_keys``): every page reads its keys from
        it, then only those rows from ``object_list``. Counts still come from ``object_list``."""
        super().__init__(object_list, per_page, *args, **kwargs)
        if cap is not None:
            self.cap = cap
        if known_count is not None:
            self.raw_count = known_count
        self.keys_first = keys_first
        self.ordered_keys = ordered_keys
        self.keys_from = keys_from

    @cached_property
    def raw_count(self) -> int:
        """Matching rows, counting no further than cap + 1."""
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return min(len(queryset), self.cap + 1)
        return capped_count(queryset, self.cap)

    @cached_property
    def count(self) -> int:
        return min(self.raw_count, self.cap)

    @property
    def capped(self) -> bool:
        """True if more rows match than were counted."""
        return self.raw_count > self.cap

    @property
    def more_beyond(self) -> bool:
        """True if pages go on past the last one counted: the count stopped short of the
        paginator's own cap (``shallow_cap``), and the next page counts further."""
        return self.capped and self.cap < type(self).cap

    @property
    def more_than(self) -> int:
        """When ``capped``: how many rows are known to match at the least ("more than …").
        Where the facets counted (``shallow_cap``), that is how far they counted, not the
        shallow cap, which is cut to whole pages (994 for pages of 7 when they counted past
        1,000)."""
        return self.raw_count - 1 if self.more_beyond else self.count

    def page(self, number):
        """As Django's; deep pages of a queryset skip their OFFSET over ids only."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        known = self.ordered_keys
        if not hasattr(rows, "query"):
            return self._get_page(rows[bottom:top], number, self)
        if known is not None and top <= len(known):
            ids = known[bottom:top]
        elif self.keys_from is not None:
            ids = list(self.keys_from.values_list("pk", flat=True)[bottom:top])
        elif bottom >= DEFER_AFTER or self.keys_first:
            ids = list(rows.values_list("pk", flat=True)[bottom:top])
        else:
            return self._get_page(rows[bottom:top], number, self)
        found = {row.pk: row for row in rows.filter(pk__in=ids)}
        return self._get_page([found[pk] for pk in ids if pk in found], number, self)


def shallow_cap(known: int | None, counted_to: int, per_page: int, number) -> tuple:
    """(known count, cap: None for the paginator's own) for a list's paginator when something
    counted its matches only up to ``counted_to`` (the facets, ``facets.facet_counts``). More
    than that many match: the first pages say "more than …" and count nothing (the cap, a
    whole number of pages, so that no page is cut short); a page past them counts up to
    COUNT_CAP itself, and so does every page when not one whole page fits within the count.
    ``number``: the page asked for, as in the query string."""
    if known is None or counted_to >= COUNT_CAP or known <= counted_to:
        return known, None
    shallow = counted_to - counted_to % per_page
    if not shallow:  # not one whole page within the count: the list counts on itself
        return None, None
    try:
        deep = int(number) * per_page > shallow
    except (TypeError, ValueError):
        deep = False  # no page, or not a number: the first page
    return (None, None) if deep else (known, shallow)
