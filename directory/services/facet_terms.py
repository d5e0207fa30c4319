"""Each listing's roles, goals and languages as arrays on its own row (PostgreSQL only;
initiatives and organizations), which the lists' facet counts, their cards' terms and the API's
rows read instead of the link tables (``directory.search.facets``, ``taxonomy.with_terms``,
``api.exports.fastrows``).

Triggers on the link tables keep them equal to the links (migrations 0029 and 0034). A bulk
load turns the triggers off, writes the arrays with the rows and checks them at the end
(``rebuild``), as it does the coverage counts; ``manage.py rebuild_coverage`` turns back on
triggers that a load stopped half-way left off, and checks every array against the links
(``rebuild``).
"""

from functools import cache

from django.contrib.postgres.fields import ArrayField
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.expressions import Col, Expression

from directory.models import Initiative, Organization
from directory.services import coverage

#: the listing's many-to-many field: the array on its row that holds its terms' keys
ARRAYS = {"roles": "facet_role_ids", "goals": "facet_goal_ids", "languages": "facet_language_ids"}
#: the models whose rows carry the arrays (initiatives: migration 0029; organizations: 0034)
MODELS = (Initiative, Organization)


def available(connection) -> bool:
    """Whether this database keeps the arrays (PostgreSQL does; SQLite has no arrays)."""
    return connection.vendor == "postgresql"


def kept(model, connection) -> bool:
    """Whether ``model``'s rows carry the arrays on this database."""
    return model in MODELS and available(connection)


@cache
def _array_field(name: str, model=Initiative) -> ArrayField:
    """A stand-in field for the array of ``name`` (the model declares none: SQLite has none)."""
    field = ArrayField(models.CharField() if name == "languages" else models.BigIntegerField())
    field.set_attributes_from_name(ARRAYS[name])
    field.model = model
    return field


class _Array(Expression):
    """The array of ``name`` on the listing's row of the query it is used in: a column of
    that query's own alias for the table (``Col``), so that Django renames it as it renames
    the rest of the query (in a subquery, say)."""

    def __init__(self, name: str, model=Initiative):
        super().__init__(output_field=_array_field(name, model))
        self.name = name
        self.model = model

    def resolve_expression(self, query=None, *args, **kwargs):
        field = _array_field(self.name, self.model)
        return Col(query.get_initial_alias(), field, field)


def columns(model=Initiative) -> dict[str, _Array]:
    """The arrays as annotations (``_link_roles``, ``_link_goals``, ``_link_languages``): the
    ids a listing of ``model`` links to, read with its row."""
    return {f"_link_{name}": _Array(name, model) for name in ARRAYS}


def overlaps(name: str, keys: list):
    """A condition on initiatives: linked to any of ``keys`` in ``name`` (roles, goals,
    languages), read from the arrays on the row (``&&``) instead of the link table. PostgreSQL
    only (``available``)."""
    overlap = _array_field(name).get_lookup("overlap")  # ArrayField's: it casts the keys
    return overlap(_Array(name), list(keys))


def with_arrays(queryset):
    """``queryset`` with each listing's arrays read along (PostgreSQL; as it is elsewhere):
    ``taxonomy.with_terms`` then needs no statement of its own."""
    if kept(queryset.model, connections[queryset.db]):
        return queryset.annotate(**columns(queryset.model))
    return queryset


def triggers(*, only_off: bool = False) -> list[tuple[str, str]]:
    """(table, trigger) of the arrays' triggers, or of those turned off; none on SQLite."""
    return coverage.triggers(only_off=only_off, prefix="facet_terms")


def rebuild(using: str = DEFAULT_DB_ALIAS) -> int:
    """Write again, from its links, every listing's arrays that differ from them (after a
    bulk load that left the triggers off, or as a check; writers of links wait meanwhile); how
    many listings differed, initiatives and organizations together."""
    if not available(connections[using]):
        return 0
    return sum(_rebuild(model, using) for model in MODELS)


def _rebuild(model, using: str) -> int:
    """``rebuild`` for one model, in one statement: each row rewritten once (one statement per
    array would leave the table three times its size until a full vacuum)."""
    connection = connections[using]
    table = model._meta.db_table
    links, joins, sets, differs = [], [], [], []
    for n, (name, array) in enumerate(ARRAYS.items()):
        field = model._meta.get_field(name)
        link = field.remote_field.through._meta.db_table
        owner, term = field.m2m_column_name(), field.m2m_reverse_name()
        links.append(link)
        joins.append(
            f" LEFT JOIN (SELECT {owner}, array_agg({term} ORDER BY {term}) AS terms"
            f" FROM {link} GROUP BY {owner}) a{n} ON a{n}.{owner} = j.id"
        )
        terms = f"COALESCE(a{n}.terms, '{{}}')"
        sets.append(f"{array} = {terms}")
        # The same terms in any order (a trigger appends; no link is there twice).
        differs.append(
            f"NOT (i.{array} @> {terms} AND i.{array} <@ {terms}"
            f" AND cardinality(i.{array}) = cardinality({terms}))"
        )
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Writers of links wait until the arrays are written: the statement reads the links as
        # they were when it started, and would write that over a link a trigger appended since.
        cursor.execute(f"LOCK TABLE {', '.join(links)} IN SHARE MODE")
        cursor.execute(
            f"UPDATE {table} i SET {', '.join(sets)} FROM {table} j{''.join(joins)}"
            f" WHERE i.id = j.id AND ({' OR '.join(differs)})"
        )
        return cursor.rowcount
