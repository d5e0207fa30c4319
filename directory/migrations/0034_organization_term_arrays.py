"""PostgreSQL: each organization's roles, goals and languages also as arrays on its own row, kept
by the database, as each initiative's are (migration 0029), so that the two kinds of listing
count their facets, show their cards' terms and give their API rows one way
(``directory.services.facet_terms``).

Before this, an organization list counted its facets through the link tables (an index look-up
per match in each), read its cards' terms in a statement of its own, and the API read each
row's terms with a subquery per link table. The triggers are those of 0029 on the
organization's link tables (named ``facet_terms_organization_…``, which a bulk load turns off
with the initiatives' own), and the same covering index (the key, then state, scope and the
three arrays). SQLite has no arrays: there the link tables serve, as before.
The SQL is written out here, not imported, so that this migration keeps doing what it did.
"""

from django.db import migrations

TABLE = "directory_organization"
OWNER = "organization_id"
#: link table: (the term's column in it, the array on the organization, the array's type)
LINKS = {
    "directory_organization_roles": ("role_id", "facet_role_ids", "bigint[]"),
    "directory_organization_goals": ("goal_id", "facet_goal_ids", "bigint[]"),
    "directory_organization_languages": ("language_id", "facet_language_ids", "varchar(2)[]"),
}
INDEX = "org_facet_terms"


def _trigger(link: str) -> str:
    return "facet_terms_" + link.removeprefix("directory_")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    # The backfill's updates would leave foreign-key checks pending until the commit, and
    # PostgreSQL indexes no table with checks pending: check them as they come.
    run("SET CONSTRAINTS ALL IMMEDIATE")
    for _term, array, kind in LINKS.values():
        run(f"ALTER TABLE {TABLE} ADD COLUMN {array} {kind} NOT NULL DEFAULT '{{}}'")
    # The arrays of the rows already there, in one statement: one new version of each row.
    joins, sets = [], []
    for n, (link, (term, array, _kind)) in enumerate(LINKS.items()):
        joins.append(
            f" LEFT JOIN (SELECT {OWNER}, array_agg({term} ORDER BY {term}) AS terms"
            f" FROM {link} GROUP BY {OWNER}) a{n} ON a{n}.{OWNER} = j.id"
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
            f" WHERE id = OLD.{OWNER}; END IF;"
            " IF TG_OP <> 'DELETE' THEN"
            f" UPDATE {TABLE} SET {array} = array_append({array}, NEW.{term})"
            f" WHERE id = NEW.{OWNER}; END IF;"
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
        ("directory", "0033_initiative_state_search_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
