"""Two indexes over the visible initiatives only.

- ``ini_visible_search_gin`` (PostgreSQL): full text. A keyword search reads visible
  initiatives only. With the index of every row, the planner estimated that a sequential scan
  would find the list's first 10,001 matches sooner (it counts them up to that cap), and read
  most of the table: 60 ms for a common word at 100,000 initiatives. This partial index answers
  both conditions at once: 13 ms for the same word. The index of every row stays for searches
  that are not limited to what the public sees.
- ``ini_visible_state_scope``: a search near a ZIP takes in the statewide work of the ZIP's
  state. With the state's index alone, PostgreSQL read every visible initiative of the state to
  keep the statewide ones (4,411 rows for New York, against 733).
"""

from django.db import migrations, models

SEARCH = (
    "CREATE INDEX ini_visible_search_gin ON directory_initiative"
    " USING gin (search_vector) WHERE visible"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ini_visible_search_gin")


class Migration(migrations.Migration):
    dependencies = [("directory", "0022_coverage_counts")]

    operations = [
        migrations.AddIndex(
            model_name="initiative",
            index=models.Index(
                condition=models.Q(("visible", True)),
                fields=["state", "scope"],
                name="ini_visible_state_scope",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
