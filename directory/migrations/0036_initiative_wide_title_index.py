"""PostgreSQL: national and online work by name, for a search near a ZIP code that includes it.

Every visible national or online initiative matches such a search; those beyond the box
around the circle have no distance and come after the rest by name (``near_parts``). Read
from this index in name order, with their place to tell the box, the first few are found
without reading the others (at a million initiatives, 117,140 of them): the page's statement
used to sort them all.

The SQL is written out here, not imported, so that this migration keeps doing what it did.
"""

from django.db import migrations

NAME = "ini_visible_wide_title"
DEFINITION = (
    "(title, id) INCLUDE (latitude, longitude) WHERE visible AND scope IN ('national', 'online')"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {NAME} ON directory_initiative {DEFINITION}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0035_initiative_place_cell_index")]

    operations = [migrations.RunPython(forwards, backwards)]
