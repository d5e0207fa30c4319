"""PostgreSQL: each initiative's roles, goals and languages also as arrays on its own row, kept
by the database, for the list's facet counts (``directory.search.facets``).

Counting the facets of a list's matches read every match three times more, once per link table
(an index lookup per match in each): at 100,000 initiatives, for a thousand matches, about 17 ms
against 7-9 ms for one read of the rows with the arrays (in-process, the same keys). The
arrays are written by triggers on the link tables, so every way a link is made or removed
(forms, the admin, the API, imports, ``loaddata``, raw SQL) keeps them equal to the links:

- a link added: its term appended to its initiative's array; removed: taken out; changed: both.
  An ``UPDATE`` with ``array_append``/``array_remove`` reads the row as it is when it runs, so
  two transactions changing one initiative's links at once both count (PostgreSQL re-applies
  an ``UPDATE`` to the newest version of a row another transaction changed meanwhile);
- a bulk load may turn the triggers off (their names start with ``facet_terms_``) and rebuild
  every array at the end (``directory.services.facet_terms.rebuild``).

A covering index (the key, then state, scope and the three arrays) lets the count read the
index alone. SQLite has no arrays: there the facets count from the link tables, as before.
The SQL is written out here, not imported, so that this migration keeps doing what it did.
"""

from django.db import migrations

TABLE = "directory_initiative"
#: link table: (the term's column in it, the array on the initiative, the array's type)
LINKS = {
    "directory_initiative_roles": ("role_id", "facet_role_ids", "bigint[]"),
    "directory_initiative_goals": ("goal_id", "facet_goal_ids", "bigint[]"),
    "directory_initiative_languages": ("language_id", "facet_language_ids", "varchar(2)[]"),
}
INDEX = "ini_facet_terms"


def _trigger(link: str) -> str:
    return "facet_terms_" + link.removeprefix("directory_")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    # The backfill's updates would leave foreign-key checks pending until the commit, and
    # PostgreSQL indexes no table with checks pending: check them as they come.
    run("SET CONSTRAINTS ALL IMMEDIATE")
    for link, (term, array, kind) in LINKS.items():
        run(f"ALTER TABLE {TABLE} ADD COLUMN {array} {kind} NOT NULL DEFAULT '{{}}'")
    # The arrays of the rows already there, in one statement: one new version of each row
    # (one statement per array would leave the table three times its size).
    joins, sets = [], []
    for n, (link, (term, array, _kind)) in enumerate(LINKS.items()):
        joins.append(
            f" LEFT JOIN (SELECT initiative_id, array_agg({term} ORDER BY {term}) AS terms"
            f" FROM {link} GROUP BY initiative_id) a{n} ON a{n}.initiative_id = j.id"
        )
        sets.append(f"{array} = COALESCE(a{n}.terms, '{{}}')")
    run(
        f"UPDATE {TABLE} i SET {', '.join(sets)} FROM {TABLE} j{''.join(joins)}"
        " WHERE i.id = j.id AND (a0.terms IS NOT NULL OR a1.terms IS NOT NULL"
        " OR a2.terms IS NOT NULL)"
    )
    for link, (term, array, _kind) in LINKS.items():
        name = _trigger(link)
        run(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF TG_OP <> 'INSERT' THEN"
            f" UPDATE {TABLE} SET {array} = array_remove({array}, OLD.{term})"
            " WHERE id = OLD.initiative_id; END IF;"
            " IF TG_OP <> 'DELETE' THEN"
            f" UPDATE {TABLE} SET {array} = array_append({array}, NEW.{term})"
            " WHERE id = NEW.initiative_id; END IF;"
            " RETURN NULL; END $$"
        )
        run(
            f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {link}"
            f" FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    arrays = ", ".join(array for _term, array, _kind in LINKS.values())
    run(f"CREATE INDEX {INDEX} ON {TABLE} (id) INCLUDE (state, scope, {arrays})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run(f"DROP INDEX IF EXISTS {INDEX}")
    for link, (_term, array, _kind) in LINKS.items():
        name = _trigger(link)
        run(f"DROP TRIGGER IF EXISTS {name} ON {link}")
        run(f"DROP FUNCTION IF EXISTS {name}()")
        run(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {array}")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0028_organization_state_name_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
