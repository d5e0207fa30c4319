"""Coverage counts kept by the database (``directory.models.coverage``).

Twelve triggers, six per kind of listing, append a +1 or -1 to ``directory_coverage_change`` for
each (state, scope, role, goal) cell a write affects; ``goal_id`` 0 is a role's own total:
- a role link added or removed: the role's total, and the cell of each of the listing's goals;
- a goal link added or removed: the cell of each of the listing's roles;
- a listing's state, scope or visibility changed: all its cells, out of the old place and into the
  new one;
- a listing deleted: all its cells (Django deletes the links first, so usually none are left).
A cell needs both links, so it is counted by whichever of the two comes second. On PostgreSQL
a link trigger first locks its listing's row, so that two transactions changing one listing at
once (a link and its visibility, or a role and a goal) take turns and each sees the other's.
Only public listings count: initiatives that are ``visible`` (published, of a published
organization) and published organizations. The statements are the same in both databases but
for that lock; the wrapping differs (a PL/pgSQL function on PostgreSQL, a trigger body on
SQLite). Then the counts are
built once from the rows already there (``coverage.rebuild_counts``).

The SQL is written out here, not imported, so that this migration keeps doing what it did.
"""

from django.db import migrations, models

CHANGE = "directory_coverage_change (state, scope, kind, role_id, goal_id, delta)"

#: kind: its table, the links' column naming it, and "is public" for a row of it
LISTINGS = {
    "i": ("directory_initiative", "initiative_id", "{row}.visible", "visible"),
    "o": ("directory_organization", "organization_id", "{row}.status = 'published'", "status"),
}


def _statements(kind: str) -> dict[str, tuple[str, str, str, list[str], str]]:
    """name: (table, event, WHEN condition or "", statements, PostgreSQL's lock first or "")
    for one kind's six triggers."""
    table, owner, public, flag = LISTINGS[kind]
    roles, goals = f"{table}_roles", f"{table}_goals"

    def role_link(row, sign):
        return (
            f"INSERT INTO {CHANGE}"
            f" SELECT l.state, l.scope, '{kind}', {row}.role_id, 0, {sign} FROM {table} l"
            f" WHERE l.id = {row}.{owner} AND {public.format(row='l')}"
            f" UNION ALL SELECT l.state, l.scope, '{kind}', {row}.role_id, g.goal_id, {sign}"
            f" FROM {table} l JOIN {goals} g ON g.{owner} = l.id"
            f" WHERE l.id = {row}.{owner} AND {public.format(row='l')}"
        )

    def goal_link(row, sign):
        return (
            f"INSERT INTO {CHANGE}"
            f" SELECT l.state, l.scope, '{kind}', r.role_id, {row}.goal_id, {sign}"
            f" FROM {table} l JOIN {roles} r ON r.{owner} = l.id"
            f" WHERE l.id = {row}.{owner} AND {public.format(row='l')}"
        )

    def listing(row, sign):
        return (
            f"INSERT INTO {CHANGE}"
            f" SELECT {row}.state, {row}.scope, '{kind}', r.role_id, 0, {sign} FROM {roles} r"
            f" WHERE r.{owner} = {row}.id AND {public.format(row=row)}"
            f" UNION ALL SELECT {row}.state, {row}.scope, '{kind}', r.role_id, g.goal_id, {sign}"
            f" FROM {roles} r JOIN {goals} g ON g.{owner} = r.{owner}"
            f" WHERE r.{owner} = {row}.id AND {public.format(row=row)}"
        )

    def lock(row):
        # PostgreSQL: a link trigger reads the listing and its other links as committed. Without
        # this, a link added while another transaction changes the listing (or adds the other
        # kind of link) would be counted by neither. Locking the listing's row first makes the
        # two wait for each other; the trigger's next statement then sees what the other
        # committed. (SQLite runs one writer at a time.)
        return f"PERFORM 1 FROM {table} WHERE id = {row}.{owner} FOR NO KEY UPDATE"

    moved = " OR ".join(f"OLD.{c} <> NEW.{c}" for c in ("state", "scope", flag))
    short = table.removeprefix("directory_")
    return {
        f"coverage_{short}_role_added": (roles, "INSERT", "", [role_link("NEW", 1)], lock("NEW")),
        f"coverage_{short}_role_removed": (
            roles,
            "DELETE",
            "",
            [role_link("OLD", -1)],
            lock("OLD"),
        ),
        f"coverage_{short}_goal_added": (goals, "INSERT", "", [goal_link("NEW", 1)], lock("NEW")),
        f"coverage_{short}_goal_removed": (
            goals,
            "DELETE",
            "",
            [goal_link("OLD", -1)],
            lock("OLD"),
        ),
        f"coverage_{short}_moved": (
            table,
            f"UPDATE OF state, scope, {flag}",
            moved,
            [listing("OLD", -1), listing("NEW", 1)],
            "",  # the UPDATE holds the row's lock already
        ),
        f"coverage_{short}_deleted": (table, "DELETE", "", [listing("OLD", -1)], ""),
    }


TRIGGERS = {name: spec for kind in LISTINGS for name, spec in _statements(kind).items()}


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, (table, event, when, statements, pg_lock) in TRIGGERS.items():
        condition = f" WHEN ({when})" if when else ""
        body = "; ".join(statements)
        if vendor == "postgresql":
            body = f"{pg_lock}; {body}" if pg_lock else body
            schema_editor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {body}; RETURN NULL; END $$"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition}"
                f" EXECUTE FUNCTION {name}()"
            )
        else:
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition}"
                f" BEGIN {body}; END"
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, (table, *_rest) in TRIGGERS.items():
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def count_what_is_there(apps, schema_editor):
    """The counts of the rows already there (as ``coverage.rebuild_counts`` does today)."""
    key = "state, scope, kind, role_id, goal_id, n"
    selects = []
    for kind, (table, owner, public, _flag) in LISTINGS.items():
        public = public.format(row="l")
        roles, goals = f"{table}_roles", f"{table}_goals"
        selects += [
            f"SELECT l.state, l.scope, '{kind}', r.role_id, 0, COUNT(*) FROM {table} l"
            f" JOIN {roles} r ON r.{owner} = l.id WHERE {public} GROUP BY l.state, l.scope, r.role_id",
            f"SELECT l.state, l.scope, '{kind}', r.role_id, g.goal_id, COUNT(*) FROM {table} l"
            f" JOIN {roles} r ON r.{owner} = l.id JOIN {goals} g ON g.{owner} = l.id"
            f" WHERE {public} GROUP BY l.state, l.scope, r.role_id, g.goal_id",
        ]
    schema_editor.execute(
        f"INSERT INTO directory_coverage_count ({key}) {' UNION ALL '.join(selects)}"
    )
    schema_editor.execute(
        f"INSERT INTO directory_coverage_count ({key}) SELECT '*', scope, kind, role_id, goal_id,"
        " SUM(n) FROM directory_coverage_count GROUP BY scope, kind, role_id, goal_id"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0021_link_indexes_by_term"),
    ]

    operations = [
        migrations.CreateModel(
            name="CoverageChange",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("state", models.CharField(max_length=2)),
                ("scope", models.CharField(max_length=10)),
                (
                    "kind",
                    models.CharField(
                        choices=[("i", "initiative"), ("o", "organization")], max_length=1
                    ),
                ),
                ("role_id", models.IntegerField()),
                ("goal_id", models.IntegerField()),
                ("delta", models.SmallIntegerField()),
            ],
            options={
                "db_table": "directory_coverage_change",
            },
        ),
        migrations.CreateModel(
            name="CoverageCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("state", models.CharField(max_length=2)),
                ("scope", models.CharField(max_length=10)),
                (
                    "kind",
                    models.CharField(
                        choices=[("i", "initiative"), ("o", "organization")], max_length=1
                    ),
                ),
                ("role_id", models.IntegerField()),
                ("goal_id", models.IntegerField()),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "db_table": "directory_coverage_count",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("state", "scope", "kind", "role_id", "goal_id"),
                        name="coverage_count_key",
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(count_what_is_there, migrations.RunPython.noop),
    ]
