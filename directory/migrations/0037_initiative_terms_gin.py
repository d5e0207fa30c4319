"""PostgreSQL: the visible initiatives by each of their terms, from the arrays on their rows.

A list filtered only by terms (a goal and a role, say, with no state, scope, words or place)
has no column of its own to narrow it: its matches were found by joining the link tables, a
goal's every link (41,665 at 100,000 initiatives) merged with a role's, and read again by key
to count the facets. With this index the arrays' conditions (``&&``) are answered together
from the terms' posting lists, and the rows it leads to carry what the facets count
(``ListingFilter.links_only``, ``facets._counts``).

The SQL is written out here, not imported, so that this migration keeps doing what it did.
"""

from django.db import migrations

NAME = "ini_visible_terms_gin"
DEFINITION = "USING gin (facet_role_ids, facet_goal_ids, facet_language_ids) WHERE visible"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {NAME} ON directory_initiative {DEFINITION}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0036_initiative_wide_title_index")]

    operations = [migrations.RunPython(forwards, backwards)]
