"""The taxonomy (goals, role groups and their roles, languages) as plain data, read from the
database and translated once per language and process, not on every request.

Every list page shows the whole taxonomy (the filters form: goals, role groups, the role menu,
languages). Read through the ORM that is four queries and about sixty model instances per
request, every name translated again. It changes only when someone edits it (the admin, a
fixture): every save or delete of a goal, role, role group or language moves a version kept in
the shared cache, and each process rebuilds its snapshot when it sees a new version. Templates
get tuples of frozen dataclasses: nothing in them runs a query.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import signals
from django.utils.translation import get_language

VERSION_KEY = "mpdb:taxonomy-version"


@dataclass(frozen=True, slots=True)
class Term:
    """A goal, role, role group or language, in the reader's language."""

    pk: int | str
    slug: str  # a language's code
    name: str
    #: a role's name with its group's when another role has the same name ("Mediators
    #: (De-Escalators)", as ``Role.label``); the name for other terms
    label: str = ""
    url: str = ""  # a role's or goal's page
    order: int = 0  # its place in its list
    group_name: str = ""  # a role's group's name

    def __str__(self) -> str:
        return self.name

    @property
    def number(self) -> int:
        """A goal's number in the paper (1–7)."""
        return self.order


@dataclass(frozen=True, slots=True)
class Group:
    pk: int
    slug: str
    letter: str
    name: str
    roles: tuple[Term, ...]
    kind: str = ""  # strategist or actor
    kind_label: str = ""


@dataclass(frozen=True, slots=True)
class Taxonomy:
    goals: tuple[Term, ...]  # in the paper's order
    groups: tuple[Group, ...]  # A–K, each with its roles in the paper's order
    languages: tuple[Term, ...]  # in the curators' order
    roles: dict[int, Term] = field(default_factory=dict)  # by key
    languages_by_code: dict[str, Term] = field(default_factory=dict)

    def language_names(self, codes) -> tuple[Term, ...]:
        """The languages with these codes, in the curators' order."""
        return tuple(language for language in self.languages if language.slug in codes)


_snapshots: dict[tuple[str, str], Taxonomy] = {}


#: within a request, the version read at its first use (a list asks for the taxonomy four
#: times: one cache read is enough); outside requests it is read every time
_request = threading.local()


def _version() -> str:
    version = getattr(_request, "version", None)
    if version is not None:
        return version
    version = cache.get(VERSION_KEY)
    if version is None:  # first use, or the cache was emptied: start a version of our own
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY) or ""
    if getattr(_request, "active", False):
        _request.version = version
    return version


def _request_started(**kwargs) -> None:
    _request.active, _request.version = True, None


def _request_finished(**kwargs) -> None:
    _request.active, _request.version = False, None


def taxonomy() -> Taxonomy:
    """The current taxonomy in the active language (one cache read per request; a query only
    after a change)."""
    version = _version()
    key = (version, get_language() or "")
    snapshot = _snapshots.get(key)
    if snapshot is None:
        if len(_snapshots) > 16:  # old versions: nobody asks for them again
            _snapshots.clear()
        snapshot = _snapshots[key] = _read()
    return snapshot


def _read() -> Taxonomy:
    from directory.models import Language
    from goals.models import Goal
    from roles.models import Role, RoleGroup

    rows = list(Role.objects.with_label().order_by("number"))
    by_group: dict[int, list[Term]] = defaultdict(list)
    roles: dict[int, Term] = {}
    for order, role in enumerate(rows):
        url = role.get_absolute_url()
        term = Term(role.pk, role.slug, role.name, role.label, url, order, role.group.name)
        roles[role.pk] = term
        by_group[role.group_id].append(term)
    languages = tuple(
        Term(lang.code, lang.code, lang.name, lang.name, "", order)
        for order, lang in enumerate(Language.objects.order_by("order", "code"))
    )
    return Taxonomy(
        goals=tuple(
            Term(g.pk, g.slug, g.title, g.title, g.get_absolute_url(), g.number)
            for g in Goal.objects.order_by("number")
        ),
        groups=tuple(
            Group(
                g.pk,
                g.slug,
                g.letter,
                g.name,
                tuple(by_group.get(g.pk, ())),
                g.kind,
                g.get_kind_display(),
            )
            for g in RoleGroup.objects.order_by("order")
        ),
        languages=languages,
        roles=roles,
        languages_by_code={term.slug: term for term in languages},
    )


def with_terms(rows: list) -> list:
    """Give each listing (initiatives, organizations or events, of one model) its roles, goals
    and languages as terms of the taxonomy (``role_terms``, ``goal_terms``, ``language_terms``),
    in the taxonomy's order: one statement for the three link tables and the whole page (none
    when the rows carry their arrays of ids: ``facet_terms.with_arrays``), and no
    model instance for any term (a prefetch builds one per link, and compiling its three
    queries cost more than a detail page's other work)."""
    if not rows:
        return rows
    model = type(rows[0])
    owner = f"{model._meta.model_name}_id"
    ids = [row.pk for row in rows]
    snapshot = taxonomy()
    terms = (
        ("role_terms", "roles", "role_id", snapshot.roles),
        ("goal_terms", "goals", "goal_id", {goal.pk: goal for goal in snapshot.goals}),
        ("language_terms", "languages", "language_id", snapshot.languages_by_code),
    )
    if all(hasattr(row, "_link_roles") for row in rows):
        # Read with the rows (PostgreSQL: the arrays on an initiative's or organization's row,
        # ``facet_terms.with_arrays``): no statement.
        for row in rows:
            for attribute, name, _column, known in terms:
                found = (known.get(key) for key in getattr(row, f"_link_{name}"))
                setattr(row, attribute, sorted((t for t in found if t is not None), key=_order))
        return rows
    among = ", ".join(["%s"] * len(ids))
    parts = []
    for kind, (_attribute, name, column, _terms) in enumerate(terms):
        table = model._meta.get_field(name).remote_field.through._meta.db_table
        # Numeric keys (roles, goals) and text keys (languages, by code) in columns of their own,
        # typed in every part, so that PostgreSQL unites them in any order.
        if column == "language_id":
            number, text = "CAST(NULL AS INTEGER)", column
        else:
            number, text = column, "CAST(NULL AS VARCHAR)"
        parts.append(
            f"SELECT {kind}, {owner}, {number}, {text} FROM {table} WHERE {owner} IN ({among})"
        )
    found = [defaultdict(list) for _ in terms]
    with connections[rows[0]._state.db or DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), ids * len(terms))
        for kind, row_pk, number, text in cursor.fetchall():
            term = terms[kind][3].get(text if number is None else number)
            if term is not None:
                found[kind][row_pk].append(term)
    for row in rows:
        for kind, (attribute, *_rest) in enumerate(terms):
            setattr(row, attribute, sorted(found[kind][row.pk], key=_order))
    return rows


def _order(term: Term) -> int:
    return term.order


def taxonomy_changed(**kwargs) -> None:
    """Every process reads the taxonomy again, now and once the change is committed; and every
    page, count and answer cached before it is retired (they show the taxonomy's names)."""
    from directory.caching import bump_data_version

    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None))
    _request.version = None  # an edit inside a request: read the new version from here on
    transaction.on_commit(_forget_request_version)
    bump_data_version()


def _forget_request_version() -> None:
    _request.version = None


def connect_signals() -> None:
    from django.core.signals import request_finished, request_started

    from directory.models import Language
    from goals.models import Goal
    from roles.models import Role, RoleGroup

    for model in (Goal, Role, RoleGroup, Language):
        for signal in (signals.post_save, signals.post_delete):
            signal.connect(
                taxonomy_changed, sender=model, dispatch_uid=f"taxonomy-{signal}-{model}"
            )
    request_started.connect(_request_started, dispatch_uid="taxonomy-request-started")
    request_finished.connect(_request_finished, dispatch_uid="taxonomy-request-finished")
