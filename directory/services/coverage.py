"""Coverage: how many published organizations and initiatives work in each role × goal cell.

The counts are kept by the database (``directory.models.coverage``): triggers on the listings
and their links append each change, and the page adds up at most a few thousand rows, whatever
the number of listings: one query for both kinds, all roles and all goals. Nothing is cached.
"""

import logging
from collections import defaultdict

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router, transaction

from directory.models import Initiative, Organization
from directory.models.coverage import ALL_STATES, ROLE_TOTAL, CoverageChange, CoverageCount, Kind
from directory.search.taxonomy import taxonomy

logger = logging.getLogger(__name__)

THIN = 10

#: changes left unfolded before a read folds them (``fold_changes``): a read adds them up
#: one by one, so this bounds its cost (a bulk load's changes are folded by its command)
FOLD_AFTER = 2000

COUNT = CoverageCount._meta.db_table
CHANGE = CoverageChange._meta.db_table
KEY = "state, scope, kind, role_id, goal_id"


def _read(state: str | None, scopes: list[str] | None) -> tuple[dict, int]:
    """({(kind, role_id, goal_id): n}, how many unfolded changes were added in)."""
    where, params = ["state = %s"], [state or ALL_STATES]
    if scopes:
        where.append(f"scope IN ({', '.join(['%s'] * len(scopes))})")
        params += scopes
    # The changes carry real states only: for every state, all of them.
    change_where = where[1:] if not state else where
    change_params = params[1:] if not state else params
    counts = " AND ".join(where)
    changes = " AND ".join(change_where) or "TRUE"
    connection = connections[router.db_for_read(CoverageCount)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, role_id, goal_id, SUM(n), SUM(pending) FROM ("
            f"SELECT kind, role_id, goal_id, n, 0 AS pending FROM {COUNT} WHERE {counts}"
            f" UNION ALL SELECT kind, role_id, goal_id, delta, 1 FROM {CHANGE} WHERE {changes}"
            ") c GROUP BY kind, role_id, goal_id",
            params + change_params,
        )
        rows = cursor.fetchall()
    return {(kind, role, goal): n for kind, role, goal, n, _ in rows}, sum(r[4] for r in rows)


def _sums(changes: str) -> str:
    """The changes in ``changes`` added up per cell: per state, and over every state."""
    return (
        f"SELECT {KEY}, SUM(delta) AS n FROM {changes} GROUP BY {KEY}"
        f" UNION ALL SELECT '{ALL_STATES}', scope, kind, role_id, goal_id, SUM(delta)"
        f" FROM {changes} GROUP BY scope, kind, role_id, goal_id"
    )


#: what an insert of a counted cell does when the cell is there already
ADD_TO_CELL = f"ON CONFLICT ({KEY}) DO UPDATE SET n = {COUNT}.n + excluded.n"


def fold_changes(using: str = DEFAULT_DB_ALIAS) -> int:
    """Move the triggers' changes into the counts (each state's rows and the all-states rows),
    in SQL; how many were moved. Safe beside writers and other folds. PostgreSQL: one statement
    claims the changes by deleting them and adds them up, so a change is counted exactly once
    (one committed after the statement began waits for the next fold); cells are updated in
    one order, so two folds never deadlock, and a fold already running makes this one return 0
    at once. SQLite: one writer at a time, so adding up, then deleting, in one transaction."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [CHANGE])
            if not cursor.fetchone()[0]:
                return 0
            cursor.execute(
                f"WITH moved AS (DELETE FROM {CHANGE} RETURNING {KEY}, delta),"
                f" added AS (INSERT INTO {COUNT} ({KEY}, n) SELECT * FROM ({_sums('moved')}) s"
                f" WHERE n <> 0 ORDER BY {KEY} {ADD_TO_CELL})"
                " SELECT COUNT(*) FROM moved"
            )
            return cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) FROM {CHANGE}")
        moved = cursor.fetchone()[0]
        if moved:
            # The WHERE is needed twice over: empty cells stay out, and SQLite's parser wants a
            # WHERE between a SELECT and an upsert's ON CONFLICT.
            cursor.execute(
                f"INSERT INTO {COUNT} ({KEY}, n) SELECT * FROM ({_sums(CHANGE)}) s"
                f" WHERE n <> 0 {ADD_TO_CELL}"
            )
            cursor.execute(f"DELETE FROM {CHANGE}")
        return moved


def rebuild_counts(using: str = DEFAULT_DB_ALIAS) -> int:
    """Count every cell again from the listings and their links (after a bulk load that left
    the triggers off, or to check them: ``manage.py rebuild_coverage``); how many cells the
    counts kept until now had differently. Writers wait while it counts (PostgreSQL: their
    triggers' inserts; SQLite: every write), seconds at a million listings."""
    connection = connections[using]
    selects, params = [], []
    for kind, model in ((Kind.INITIATIVE, Initiative), (Kind.ORGANIZATION, Organization)):
        table, owner = model._meta.db_table, f"{model._meta.model_name}_id"
        roles, goals = model.roles.through._meta.db_table, model.goals.through._meta.db_table
        public, public_params = (
            model.objects.using(using).published().values("pk").query.sql_with_params()
        )
        selects += [
            f"SELECT l.state, l.scope, '{kind}', r.role_id, {ROLE_TOTAL}, COUNT(*)"
            f" FROM {table} l JOIN {roles} r ON r.{owner} = l.id WHERE l.id IN ({public})"
            " GROUP BY l.state, l.scope, r.role_id",
            f"SELECT l.state, l.scope, '{kind}', r.role_id, g.goal_id, COUNT(*)"
            f" FROM {table} l JOIN {roles} r ON r.{owner} = l.id"
            f" JOIN {goals} g ON g.{owner} = l.id WHERE l.id IN ({public})"
            " GROUP BY l.state, l.scope, r.role_id, g.goal_id",
        ]
        params += [*public_params, *public_params]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Writers wait (their triggers' inserts) until the new counts are in: a change made
            # meanwhile is then added to them, never counted twice or lost.
            cursor.execute(f"LOCK TABLE {CHANGE} IN EXCLUSIVE MODE")
        # What the counts said until now, pending changes included (none can come meanwhile).
        cursor.execute(
            f"SELECT {KEY}, SUM(n) FROM (SELECT {KEY}, n FROM {COUNT}"
            f" UNION ALL SELECT * FROM ({_sums(CHANGE)}) s) c GROUP BY {KEY}"
        )
        before = {tuple(row[:5]): row[5] for row in cursor.fetchall() if row[5]}
        cursor.execute(f"DELETE FROM {CHANGE}")
        cursor.execute(f"DELETE FROM {COUNT}")
        cursor.execute(f"INSERT INTO {COUNT} ({KEY}, n) {' UNION ALL '.join(selects)}", params)
        cursor.execute(
            f"INSERT INTO {COUNT} ({KEY}, n) SELECT %s, scope, kind, role_id, goal_id, SUM(n)"
            f" FROM {COUNT} WHERE state <> %s GROUP BY scope, kind, role_id, goal_id",
            [ALL_STATES, ALL_STATES],
        )
        cursor.execute(f"SELECT {KEY}, n FROM {COUNT} WHERE n <> 0")
        after = {tuple(row[:5]): row[5] for row in cursor.fetchall()}
    return sum(before.get(key) != after.get(key) for key in before.keys() | after.keys())


def triggers(*, only_off: bool = False, prefix: str = "coverage") -> list[tuple[str, str]]:
    """(table, trigger) of the coverage triggers (PostgreSQL; all named ``coverage_…``), or of
    those turned off; ``prefix``: of other triggers named so (``facet_terms``). SQLite has no
    way to turn a trigger off: always none."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return []
    pattern = prefix.replace("_", "\\_") + "\\_%%"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT tgrelid::regclass::text, tgname FROM pg_trigger
                WHERE tgname LIKE '{pattern}' AND NOT tgisinternal
                  AND (tgenabled = 'D' OR NOT %s) ORDER BY 1, 2""",
            [only_off],
        )
        return cursor.fetchall()


def switch_triggers(pairs: list[tuple[str, str]], *, on: bool) -> None:
    """Turn these (table, trigger) pairs on or off (a bulk load turns them off, then counts
    every cell once with ``rebuild_counts``)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        for table, trigger in pairs:
            cursor.execute(
                f'ALTER TABLE {table} {"ENABLE" if on else "DISABLE"} TRIGGER "{trigger}"'
            )


def coverage(*, state: str | None = None, scopes: list[str] | None = None) -> dict:
    counts, pending = _read(state, scopes)
    if pending > FOLD_AFTER:  # the next read adds up fewer rows; this one's numbers stand
        try:
            fold_changes(router.db_for_write(CoverageCount))
        except DatabaseError:  # read-only, or busy: a later read folds them
            logger.warning("coverage: could not fold %s changes", pending, exc_info=True)
    ini_cells, ini_roles, org_cells, org_roles = {}, {}, {}, {}
    for (kind, role, goal), n in counts.items():
        initiative = kind == Kind.INITIATIVE
        if goal == ROLE_TOTAL:
            (ini_roles if initiative else org_roles)[role] = n
        else:
            (ini_cells if initiative else org_cells)[(role, goal)] = n
    # The taxonomy's terms, not models: no query, and each role's page address computed once
    # per process, not 18 times per page (search/taxonomy.py).
    snapshot = taxonomy()
    goals = list(snapshot.goals)
    group_of = {role.pk: group for group in snapshot.groups for role in group.roles}
    roles = sorted(snapshot.roles.values(), key=lambda role: role.order)
    peak = max([*ini_cells.values(), 0]) + max([*org_cells.values(), 0]) or 1
    rows = []
    group_totals: dict = defaultdict(int)
    for role in roles:
        cells = []
        for goal in goals:
            o = org_cells.get((role.pk, goal.pk), 0)
            i = ini_cells.get((role.pk, goal.pk), 0)
            cells.append(
                {
                    "goal": goal,
                    "organizations": o,
                    "initiatives": i,
                    "total": o + i,
                    "heat": min(5, round(5 * (o + i) / peak)) if o + i else 0,
                }
            )
        o_total, i_total = org_roles.get(role.pk, 0), ini_roles.get(role.pk, 0)
        group_totals[group_of[role.pk]] += o_total + i_total
        rows.append(
            {
                "role": role,
                "cells": cells,
                "group": group_of[role.pk],
                "organizations": o_total,
                "initiatives": i_total,
                "total": o_total + i_total,
            }
        )
    thinnest = sorted(rows, key=lambda r: (r["total"], r["role"].order))[:THIN]
    top_group = max(group_totals.values(), default=0) or 1
    return {
        "goals": goals,
        "rows": rows,
        "empty_roles": [r["role"] for r in rows if r["total"] == 0],
        "thinnest": thinnest,
        "groups": [
            {"group": g, "total": n, "width": round(400 * n / top_group)}
            for g, n in group_totals.items()
        ],
    }


def coverage_json(data: dict, *, state: str | None, scopes: list[str]) -> dict:
    return {
        "state": state or None,
        "scope": scopes,
        "goals": [{"slug": g.slug, "number": g.number, "title": g.name} for g in data["goals"]],
        "roles": [
            {
                "slug": row["role"].slug,
                "name": row["role"].name,
                "group": row["group"].slug,
                "organizations": row["organizations"],
                "initiatives": row["initiatives"],
                "by_goal": {
                    cell["goal"].slug: {
                        "organizations": cell["organizations"],
                        "initiatives": cell["initiatives"],
                    }
                    for cell in row["cells"]
                },
            }
            for row in data["rows"]
        ],
        "thinnest": [row["role"].slug for row in data["thinnest"]],
    }
