"""Link tables indexed by term first, then listing: (goal_id, initiative_id) and the like.

Django indexes a many-to-many table by (listing, term) and by each column alone. A filter
("goal = 3") needs the listings linked to one term: with the term's index alone PostgreSQL
reads every matching link row from the table to learn its listing (a thousand pages for one
goal at 100,000 initiatives). With both columns in one index it reads the index only.
"""

from django.db import migrations

LINKS = [
    (f"directory_{owner}_{field}", column, f"{owner}_id")
    for owner in ("initiative", "organization", "event")
    for field, column in (("goals", "goal_id"), ("roles", "role_id"), ("languages", "language_id"))
]


def _name(table: str, column: str) -> str:
    return f"{table.removeprefix('directory_')}_by_{column.removesuffix('_id')}"


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0020_initiative_visible"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {_name(table, term)} ON {table} ({term}, {owner})",
            reverse_sql=f"DROP INDEX {_name(table, term)}",
        )
        for table, term, owner in LINKS
    ]
