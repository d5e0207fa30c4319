"""PostgreSQL: the newest visible initiatives with their arrays of terms, in one index.

A list filtered by roles, goals, groups or languages whose matches are too many for the facets to
collect (``facets.FACET_CAP``) is read page by page through its filters, newest first. Through
the link tables, PostgreSQL walked the newest initiatives' rows and looked each one up in a link
table's index until twenty matched: at a million initiatives, a goal and a role read 2,392 rows
and probed 2,392 links for twenty (9,823 buffers, 13.7 ms with every page in memory; far more
when they are not). With this index, and the filters written over the arrays on the row
(``ListingFilter.walk_keys``), the page's keys come from the index alone: 52 buffers, 0.7 ms.

The migration 0029's arrays (kept by triggers) are included, not keyed: the walk is in date
order and checks each entry's arrays as it goes. SQLite has no arrays and no such index.
The SQL is written out here, not imported, so that this migration keeps doing what it did.
"""

from django.db import migrations

INDEX = "ini_visible_newest_terms"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON directory_initiative (published_at DESC, id DESC)"
        " INCLUDE (facet_role_ids, facet_goal_ids, facet_language_ids) WHERE visible"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0029_initiative_term_arrays")]

    operations = [migrations.RunPython(forwards, backwards)]
