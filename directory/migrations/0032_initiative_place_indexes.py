"""PostgreSQL: what a list sorted by distance from a ZIP code reads, in two indexes.

A search near a ZIP code matches the visible initiatives within reach of it and the statewide
work of its state, and sorts them by distance (then title). Its first statement reads every
match's key, distance and title (``facets._counts``); with both conditions in one statement
PostgreSQL combined two indexes into a bitmap and read every candidate's row: within 100 miles
of San Francisco at a million initiatives, 25,871 rows within reach and 13,748 statewide
(13,371 table pages for those alone). It now reads the two as a union
(``ListingQuerySet.near_parts``), each from one of these indexes alone:

- ``ini_visible_place``: the visible initiatives by latitude and longitude, with their title;
- ``ini_visible_statewide``: the visible statewide initiatives by state, with their place and
  title.

The SQL is written out here, not imported, so that this migration keeps doing what it did.
"""

from django.db import migrations

INDEXES = {
    "ini_visible_place": "(latitude, longitude) INCLUDE (title, id) WHERE visible",
    "ini_visible_statewide": "(state) INCLUDE (latitude, longitude, title, id)"
    " WHERE visible AND scope = 'state'",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {name} ON directory_initiative {definition}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0031_initiative_state_scope_terms_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
