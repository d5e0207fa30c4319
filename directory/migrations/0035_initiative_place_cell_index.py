"""PostgreSQL: the index a search near a ZIP code reads, ordered by whole degree of longitude first.

``ini_visible_place`` (migration 0032) was ordered by latitude, then longitude: for a box
around a ZIP code PostgreSQL walked every entry in the box's band of latitudes, across the whole
country, to keep those within its longitudes (within 100 miles of Pittsburgh at a million
initiatives, 7,812 index pages for 21,851 entries in the box). This one is ordered by the
longitude's whole degree (``floor(longitude)``, the "cell"), then latitude, then longitude; a
search names the box's cells (``querysets.in_cells``), and each cell's band of latitudes is read
alone (the same box: 707 pages). It carries the scope too: a search that includes national
work reads national work in the box with the work within reach, from this index alone
(``near_parts``). It replaces ``ini_visible_place``, which nothing else read.

The SQL is written out here, not imported, so that this migration keeps doing what it did.
"""

from django.db import migrations

CELL = (
    "ini_visible_place_cell",
    "(floor(longitude), latitude, longitude) INCLUDE (title, id, scope) WHERE visible",
)
PLACE = ("ini_visible_place", "(latitude, longitude) INCLUDE (title, id) WHERE visible")


def _swap(schema_editor, new, old):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX {new[0]} ON directory_initiative {new[1]}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {old[0]}")


def forwards(apps, schema_editor):
    _swap(schema_editor, CELL, PLACE)


def backwards(apps, schema_editor):
    _swap(schema_editor, PLACE, CELL)


class Migration(migrations.Migration):
    dependencies = [("directory", "0034_organization_term_arrays")]

    operations = [migrations.RunPython(forwards, backwards)]
