"""Counts per facet for a filtered listing, and the "active filter" chips.

A facet's counts apply every *other* active filter, so choosing one goal still shows how many
results each other goal would add — the usual meaning of facet counts.
"""

import json
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.http import QueryDict

from directory.models import Language, Scope
from directory.search.filters import any_key
from directory.search.geo import US_STATES
from directory.search.pagination import COUNT_CAP, ScanOrder
from directory.search.taxonomy import taxonomy
from directory.services import facet_terms
from goals.models import Goal
from roles.models import Role, RoleGroup


@dataclass
class FacetOption:
    value: str
    label: str
    count: int | None
    selected: bool


FACETS = ("goal", "group", "scope", "state", "language")
OWN = "state|scope"  # the counts of the listing's own columns, state and scope, together
#: Facets are counted while at most this many listings match (each count reads every match's
#: links: a few milliseconds per thousand). Above it the choices come without counts, the page
#: says so, and one more filter brings the counts back.
FACET_CAP = 1_000
# Counting a facet over hundreds of thousands of listings takes seconds; above the cap the
# choices are offered without counts (the page says so) and the first filter brings them back.
TOO_MANY = "too many"
IDS = "ids"  # in ``_counts``'s answer: the keys of every match, when there were few enough
#: in ``_counts``'s answer: the first matches' keys in the list's order (``ScanOrder``), when
#: every match was read and sorted
ORDERED = "ordered"


def facet_counts(filterset, counted: bool = True) -> dict[str, list[FacetOption]]:
    """Every facet's counts from the request's one bound FilterSet, for each distinct set of
    "other filters": one for all the facets not filtered on, plus one per facet that is (its own
    filter left out).

    The first set applies every filter, and counts the list's matches as it reads their keys,
    up to FACET_CAP (or up to the list's cap, COUNT_CAP, when relevance may rank the list):
    the total is kept on the FilterSet (``match_count``, ``counted_to``) and the list's
    paginator counts nothing again for its first pages. Counting further is what cost most on
    large lists (at a million initiatives, a goal and a role read 5,222 matches to count them
    all; a role group and a scope, 10,001), and the first pages need no more than "more than
    1,000". When they are more than FACET_CAP, leaving one filter out can only match more: no
    other statement runs.

    ``counted`` False (a list that shows no facets: the embedded one): only the first
    statement runs, for the list's total and keys; every facet comes without counts."""
    data = filterset.data
    chosen = {
        key: {value for value in data.getlist(key) if "\x00" not in value}  # NUL: no lookup
        for key in FACETS
    }
    if not filterset.is_valid():
        snapshot = taxonomy()
        return {key: _options(key, None, chosen[key], snapshot) for key in FACETS}
    active = [key for key in FACETS if key in data]
    if counted:
        groups = [[key for key in FACETS if key not in active], *([key] for key in active)]
        groups = [keys for keys in groups if keys]
    else:
        groups = [[]]  # the list's own matches, no facet
    counts: dict[str, dict | str] = dict.fromkeys(FACETS, TOO_MANY)
    words = filterset.form.cleaned_data.get("q") or ""
    # A quoted phrase is estimated as if its words were apart: far more than match it.
    skip_many = bool(words) and '"' not in words
    for keys in groups:
        every = not keys or keys[0] not in active  # every filter applies: the list's own matches
        linked = False  # found through the arrays, whose rows carry what is counted
        if every:
            queryset, linked = _own_matches(filterset, counted=bool(keys))
        else:
            queryset = filterset.without(keys[0])
            if skip_many and _expects_more(queryset):
                continue  # this facet's choices come without counts (TOO_MANY)
        # The list's total: up to the facets' own cap (a page then says "more than 1,000"),
        # unless relevance may rank the list, which needs to know up to COUNT_CAP. A list by
        # distance keeps its nearest FACET_CAP + 1 in a bounded sort (``ScanOrder.ordering``)
        # and counts to the same cap: sorting and counting every match within 100 miles of a
        # city (36,466 at a million initiatives), the statement took 65 ms; bounded, 40.
        may_rank = every and filterset.may_rank
        estimate = estimated_matches(queryset) if may_rank else None
        # The database expects far more matches than are ranked: count as an unranked list
        # does, and rank only if few match after all.
        too_many = estimate is not None and estimate > RANK_ESTIMATE_CAP
        order = filterset.scan_order() if every and not too_many else None
        if order is not None and order.reads_rows and (estimate or 0) > CARRY_ESTIMATE_CAP:
            # Many matches: the facets will not be counted, and carrying their columns
            # through the ranking of every match would only cost.
            order = replace(order, reads_rows=False)
        up_to = COUNT_CAP if may_rank and not too_many else FACET_CAP
        covered = filterset.covered(frozenset() if every else frozenset(keys[:1]))
        found = _counts(
            queryset,
            keys,
            total_up_to=up_to if every else None,
            order=order,
            covered=covered,
            carry=linked,
        )
        counts.update(found)
        if every:
            filterset.match_count = found[""]  # the list's total, counted up to ``up_to``
            filterset.counted_to = up_to
            filterset.match_ids = found.get(IDS)  # every match's key, when they were counted
            filterset.ordered_ids = found.get(ORDERED)
            if too_many and found[""] > FACET_CAP:
                filterset.rank_estimate = estimate  # too many to rank: the list's other order
            if found[""] > FACET_CAP:
                # Every filter together matches too many, so every filter but one matches at
                # least as many: no other statement needs to run to know that.
                break
    snapshot = taxonomy()
    return {
        # TOO_MANY: the other filters match too many listings to count cheaply, or the facets
        # were not asked for: no counts.
        key: _options(key, None if counts[key] == TOO_MANY else counts[key], chosen[key], snapshot)
        for key in FACETS
    }


#: A list that may be ranked by relevance is not when PostgreSQL's planner expects more matches
#: than this (its statistics of the search vectors' words: ``estimated_matches``): they would be
#: ranked to COUNT_CAP + 1 only to learn that there are too many to rank (50-90 ms a first
#: request, in-process, for a word in 11,000-13,000 of 100,000 initiatives). A tenth more than COUNT_CAP: over the
#: 44 words of the cold benchmark's mix at 100,000 the estimate was within 6 % of the count
#: (ANALYZE samples 30,000 rows; the widest, 4,718 for 4,471), so a word that can be ranked is
#: very unlikely to be expected above this; if one is, it comes in the list's other order with
#: the estimate, which the page says is one. A rare word's estimate is low, and so it is ranked.
RANK_ESTIMATE_CAP = COUNT_CAP * 11 // 10


def _own_matches(filterset, counted: bool):
    """The list's own matches (every filter applied), and whether they are found through the
    arrays on the rows, which then carry what the facets count (``_counts``'s ``carry``): a
    list of link filters alone on PostgreSQL (``ListingFilter.links_only``) whose matches the
    planner expects to be few (``LINKED_ESTIMATE_CAP``), when there are facets to count (an
    embedded list counts none)."""
    if counted and filterset.links_only():
        on_arrays = filterset.apply(filterset.queryset.all(), arrays=True)
        estimate = estimated_matches(on_arrays)
        if estimate is not None and estimate <= LINKED_ESTIMATE_CAP:
            return on_arrays, True
    return filterset.apply(filterset.queryset.all()), False


#: A search ranked by relevance carries the columns its facets count with the ranking
#: (``ScanOrder.reads_rows``) only when PostgreSQL's planner expects no more than this many
#: matches: above FACET_CAP nothing is counted, and carrying them through the ranking of
#: thousands of matches cost more than it saved (at 100,000 initiatives, the cold benchmark's
#: 40 words alone, fastest of three in-process: 8 % more in all when every search carried
#: them). Twice the cap, for the planner's misses (within 6 % over the benchmark's words).
CARRY_ESTIMATE_CAP = 2 * FACET_CAP


#: A list of link filters alone (``ListingFilter.links_only``) finds its matches through the
#: arrays' index only when PostgreSQL's planner expects no more than this many. That index
#: gives every match before the first row is read (the terms' lists of rows intersected),
#: where the link tables' merge stops at the first FACET_CAP + 1: at a million initiatives a
#: goal and a role matching 12,435 took 12.5 ms through the index (16 with the carried
#: columns) against 6 through the link tables (the statements alone, every page in
#: PostgreSQL's memory); matching 850 at 100,000, 5.5 ms for the keys and the counts
#: together against 13 + 10. Twice the cap, as for carrying a ranking's columns: the planner's
#: estimate of such a pair was within 2 % (12,587 for 12,435), its statistics of the arrays'
#: elements being those it counts by.
LINKED_ESTIMATE_CAP = CARRY_ESTIMATE_CAP


#: A facet left out of a search (its other filters: the words, and any others) is counted only
#: if PostgreSQL's planner expects no more than this many matches; above it the facet's
#: choices come without counts, as they would after counting, without reading the first
#: FACET_CAP + 1 matches' rows to learn it. Words with a state at a million initiatives:
#: the state facet's statement (the words alone, up to 1,001 rows) took 9 to 12 ms of a
#: first request for common words. Four times the cap, for a margin: the planner's estimate
#: of a word's matches was within 6 % of the count over the cold benchmark's words
#: (``RANK_ESTIMATE_CAP``); for several words it multiplies their frequencies, which
#: overestimates words that seldom come together, so a facet is left without counts by
#: mistake only when that estimate is over by four times. A quoted phrase, estimated as if its
#: words were apart, is always counted (``facet_counts``).
LEFT_OUT_ESTIMATE_CAP = 4 * FACET_CAP


def _expects_more(queryset) -> bool:
    """Whether the planner expects far more than FACET_CAP matches (``LEFT_OUT_ESTIMATE_CAP``);
    False on databases without an estimate."""
    estimate = estimated_matches(queryset)
    return estimate is not None and estimate > LEFT_OUT_ESTIMATE_CAP


def estimated_matches(queryset) -> int | None:
    """How many rows PostgreSQL's planner expects ``queryset`` to match (``EXPLAIN``: planned,
    not run; about a millisecond). None on other databases."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = queryset.order_by().values("pk").explain(format="json")
    if not plan:  # a query that can match nothing (``none()``, ``pk__in=[]``) runs no EXPLAIN
        return 0
    return int(json.loads(plan)[0]["Plan"]["Plan Rows"])


def _counts(
    queryset,
    keys: list[str],
    total_up_to: int | None = None,
    order: ScanOrder | None = None,
    covered: bool = False,
    carry: bool = False,
) -> dict[str, dict | str]:
    """{facet: {value: matching listings}} for ``keys`` under ``queryset``; TOO_MANY above the cap.

    Two statements. The first reads the matching keys, at most FACET_CAP + 1 of them: only the
    key, so PostgreSQL answers it from indexes (the filters' own), and it stops at the cap.
    Above the cap nothing else runs. Otherwise one more statement counts every facet over
    those keys: the listings' state and scope (one GROUP BY of both), and a GROUP BY per link
    table, joined in a UNION ALL. Written in SQL because the ORM builds no UNION of GROUP BYs
    over other tables.
    (One statement with the matches as a common table expression read the rows, not the
    indexes, to carry their state and scope: three times slower at 100,000 listings.)

    ``total_up_to``: the first statement also counts the matches, up to this many plus one
    (a window count over them, in the same scan), and ``""`` holds that count even above the
    cap: the list's capped total, so no COUNT of its own runs. At or below the cap, ``IDS``
    holds every match's key.

    ``order``: the list's order when it is computed per row (relevance, distance): the first
    statement also sorts the matches it read (up to ``order.limit``), and when it read every
    match, or sorted them before keeping the first (``order.ordering``: distance), ``ORDERED``
    holds the first FACET_CAP + 1 keys in the list's order. The list's
    first pages are then read by key, and no statement reads and sorts every match again: at
    100,000 initiatives (in-process, uncached, the same process with and without), a word
    matching 9,568 took 35 ms instead of 41, the twenty slowest searches near a ZIP code of
    the cold benchmark 2–6 ms less each (9 % in all), its twenty slowest words 10 % less.

    ``covered``: ``queryset`` is a state or a scope alone, whose index holds every match with
    the columns counted (``ListingFilter.covered``): the second statement reads the matches
    again through it (that index alone, a few pages) rather than each match's row by its key.

    ``carry``: the first statement reads every match's row anyway (only link filters, found
    through the arrays on the rows: ``ListingFilter.links_only``), so it carries the columns
    the facets count, as an order computed per row does, and no second statement runs.

    Both run on the connection the list itself reads from (``queryset.db``): an anonymous
    visitor's list reads from the replica when there is one (mpdb/routers.py), its facets too."""
    limit = FACET_CAP + 1 if total_up_to is None else total_up_to + 1
    connection = connections[queryset.db]
    model = queryset.model
    # PostgreSQL keeps each listing's terms as arrays on its row as well (migrations 0029,
    # 0034): the matches are read once, from a covering index, instead of once more per link
    # table (about half the time for a thousand matches at 100,000 initiatives).
    arrays = facet_terms.kept(model, connection)
    # An order computed from each match's row (relevance) reads every match's row anyway: the
    # columns the facets count come along, and no second statement reads the matches again.
    # So does a statement of link filters alone, found through the arrays (``carry``).
    carried = bool(keys) and arrays and (carry or (order is not None and order.reads_rows))
    if order is None:
        keyed = queryset.order_by()
        if carried:
            keyed = keyed.annotate(**facet_terms.columns(model)).values_list("pk", *TALLIED)
        else:
            keyed = keyed.values_list("pk", flat=True)
        keyed = keyed[:limit]
        sort = ""
    else:

        def keys_of(part):
            if not carried:
                return part.order_by().values_list("pk", *order.values)
            part = part.order_by().annotate(**facet_terms.columns(model))
            return part.values_list("pk", *order.values, *TALLIED)

        parts = [keys_of(part) for part in order.parts or [queryset]]
        if order.stops and connection.features.supports_slicing_ordering_in_compound:
            # Those parts' own first ``limit`` too: national work beyond the box, in name
            # order from its own index (``near_parts``), stops after them instead of reading
            # every national listing. Only those: a part under a LIMIT of its own is read by
            # one process, where PostgreSQL shares a large box's work among its workers.
            parts = [
                part.order_by(*order.ordering)[:limit] if i in order.stops else part
                for i, part in enumerate(parts)
            ]
        keyed, *rest = parts
        if rest:
            keyed = keyed.union(*rest, all=True)  # the parts hold each row once
        if order.ordering:  # sorted first: the first ``limit`` are the list's first
            keyed = keyed.order_by(*order.ordering)[:limit]
        elif order.limit is not None:
            keyed = keyed[: order.limit]
        sort = f" ORDER BY {order.order_by}"
    try:
        sql, sql_params = keyed.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # e.g. a search with no searchable word
        return {"": 0, **{key: {} for key in keys}}
    columns = "m.*"
    if carried and order is None:
        # Link filters alone (``carry``), whose matches are as often more than FACET_CAP as
        # not: the carried columns only when they will be counted. 1,001 rows' arrays took
        # 3 ms more to send and read than their keys alone. (A ranking carries them only
        # when the planner expects few matches: ``CARRY_ESTIMATE_CAP``.)
        columns = ", ".join(
            ['m."pk"']
            + [f'CASE WHEN COUNT(*) OVER () <= {FACET_CAP} THEN m."{name}" END' for name in TALLIED]
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns}, COUNT(*) OVER () FROM ({sql}) m{sort} LIMIT {FACET_CAP + 1}",
            sql_params,
        )
        rows = cursor.fetchall()
    ids = [row[0] for row in rows]
    total = rows[0][-1] if rows else 0
    found: dict[str, dict | int | list] = {"": min(total, limit)}
    if order is not None and (order.limit is None or total < order.limit):
        # Every match was read and sorted, or (``order.ordering``) the first of them were
        # kept in the list's order: these are the list's first.
        found[ORDERED] = ids
    if len(ids) > FACET_CAP:
        return {**dict.fromkeys(keys, TOO_MANY), **found}
    found.update({IDS: ids, **{key: {} for key in keys}})
    if not ids or not keys:
        return found
    if carried:  # every match's row, with its facets' columns after the order's values
        first = 1 + (len(order.values) if order is not None else 0)
        _tally(found, keys, (row[first:-1] for row in rows))
        return found
    table, pk = model._meta.db_table, model._meta.pk.column
    owner = f"{model._meta.model_name}_id"
    # PostgreSQL takes the keys as one array, written once (``any_key``); a list of a
    # thousand placeholders in each part costs more to plan than the counting does.
    if connection.vendor == "postgresql":
        among, keys_param = any_key(ids)
    else:
        among, keys_param = f"IN ({', '.join(['%s'] * len(ids))})", ids
    parts, params, prefix = [], [], ""
    if arrays and covered:
        # The same state or scope again: PostgreSQL reads its index that carries the arrays,
        # not the rows.
        terms = facet_terms.columns(model)
        rows = (
            queryset.order_by()
            .annotate(**terms)
            .values_list(model._meta.pk.attname, "state", "scope", *terms)
        )
        rows_sql, rows_params = rows[:limit].query.get_compiler(connection=connection).as_sql()
        named = ", ".join(
            f'r."{alias}" AS {facet_terms.ARRAYS[alias.removeprefix("_link_")]}' for alias in terms
        )
        prefix = (
            f"WITH m AS MATERIALIZED (SELECT r.{pk} AS {owner}, r.state, r.scope, {named}"
            f" FROM ({rows_sql}) r) "
        )
        params += list(rows_params)
    elif arrays:
        columns = ", ".join(facet_terms.ARRAYS.values())
        prefix = (
            f"WITH m AS MATERIALIZED (SELECT {pk} AS {owner}, state, scope, {columns}"
            f" FROM {table} WHERE {pk} {among}) "
        )
        params += keys_param
    own = [key for key in keys if key in ("scope", "state")]  # columns of the listing itself
    if own:
        # Both in one pass over the matching rows (each pass reads every row by its key): one
        # count per state and scope together ("CO|local"), added up per facet below.
        source = "m" if arrays else f"{table} WHERE {pk} {among}"
        parts.append(
            f"SELECT '{OWN}', state || '|' || scope, COUNT(*) FROM {source} GROUP BY state, scope"
        )
        params += [] if arrays else keys_param
    for key in keys:
        if key in own:
            continue
        name, distinct = {
            "goal": ("goals", False),
            "group": ("roles", True),
            "language": ("languages", False),
        }[key]
        field = model._meta.get_field(name)
        term, join = _TERMS[key]
        if arrays:
            # The array's elements as the link table's rows would be: l.<term>_id.
            source = f"m, unnest(m.{facet_terms.ARRAYS[name]}) AS l({field.m2m_reverse_name()})"
            counted = f"DISTINCT m.{owner}" if distinct else "*"
            where = ""
        else:
            source = f"{field.remote_field.through._meta.db_table} l"
            counted = f"DISTINCT l.{owner}" if distinct else "*"
            where = f" WHERE l.{owner} {among}"
            params += keys_param
        parts.append(
            f"SELECT '{key}', {term}, COUNT({counted}) FROM {source} {join}{where} GROUP BY {term}"
        )
    with connection.cursor() as cursor:
        cursor.execute(prefix + " UNION ALL ".join(parts), params)
        for key, value, n in cursor.fetchall():
            if key == OWN:
                values = dict(zip(("state", "scope"), value.split("|"), strict=True))
                for facet in own:
                    tally = found[facet]
                    tally[values[facet]] = tally.get(values[facet], 0) + n
            elif value is not None:
                found[key][value] = n
    return found


#: the columns ``_tally`` reads, in its order, after the key and the order's values
TALLIED = ("state", "scope", "_link_roles", "_link_goals", "_link_languages")


def _tally(found: dict, keys: list[str], matches) -> None:
    """Count ``keys`` into ``found`` over ``matches``, each (state, scope, role keys, goal
    keys, language codes) as a listing's row holds them (``TALLIED``): what the second
    statement of ``_counts`` counts, the same way (a role group once per listing, terms that
    no longer exist not at all)."""
    snapshot = taxonomy()
    goals = {term.pk: term.slug for term in snapshot.goals}
    groups = {role.pk: group.slug for group in snapshot.groups for role in group.roles}
    languages = {term.pk: term.slug for term in snapshot.languages}
    for state, scope, role_keys, goal_keys, language_codes in matches:
        values = {
            "state": (state,),
            "scope": (scope,),
            "goal": [goals[k] for k in goal_keys if k in goals],
            "group": {groups[k] for k in role_keys if k in groups},
            "language": [languages[c] for c in language_codes if c in languages],
        }
        for key in keys:
            tally = found[key]
            for value in values[key]:
                tally[value] = tally.get(value, 0) + 1


def _terms() -> dict[str, tuple[str, str]]:
    """Each many-to-many facet: the term's value column and the join from a link row ``l``."""

    def key(model) -> str:
        return f"{model._meta.db_table}.{model._meta.pk.column}"

    goal, role, group, language = (m._meta.db_table for m in (Goal, Role, RoleGroup, Language))
    return {
        "goal": (f"{goal}.slug", f"JOIN {goal} ON {key(Goal)} = l.goal_id"),
        "group": (
            f"{group}.slug",
            f"JOIN {role} ON {key(Role)} = l.role_id JOIN {group} ON {key(RoleGroup)} = {role}.group_id",
        ),
        "language": (f"{language}.code", f"JOIN {language} ON {key(Language)} = l.language_id"),
    }


_TERMS = _terms()


def _options(key: str, counts: dict | None, chosen: set[str], snapshot) -> list[FacetOption]:
    """A facet's choices, labelled in the reader's language, each with its count (``counts``
    None: not counted)."""

    def count(value: str) -> int | None:
        return None if counts is None else counts.get(value, 0)

    if key == "state":
        chosen = {c.upper() for c in chosen}
        # Counted: the states some listing here is in; not counted: every state.
        codes = US_STATES if counts is None else [code for code in counts if code in US_STATES]
        return [
            FacetOption(code, US_STATES[code], count(code), code in chosen)
            for code in sorted(codes, key=US_STATES.get)
        ]
    if key == "scope":
        pairs = Scope.choices
    elif key == "language":
        # Only the languages some listing here declares (plus any chosen): a short list.
        pairs = [(t.slug, t.name) for t in snapshot.language_names(set(counts or ()) | chosen)]
    else:
        pairs = [(t.slug, t.name) for t in (snapshot.goals if key == "goal" else snapshot.groups)]
    return [FacetOption(value, label, count(value), value in chosen) for value, label in pairs]


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
