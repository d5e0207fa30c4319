"""Coverage: how many published organizations and initiatives work in each role × goal cell.

Counts come from a fixed number of aggregate queries (six, whatever the number of roles, goals,
states or listings), so the page and its JSON stay cheap as the directory grows.
"""

from collections import defaultdict

from django.db import connection
from django.db.models import Count

from directory.caching import cached
from directory.models import Initiative, Organization
from goals.models import Goal
from roles.models import Role

THIN = 10


def _cells(model, listings) -> tuple[dict, dict]:
    """({(role_id, goal_id): n}, {role_id: n}) for one kind of listing.

    A listing is linked to a role, and to a goal, at most once (the link tables' unique
    pairs), so joining its role links to its goal links gives each (listing, role, goal) once:
    a plain COUNT, with no DISTINCT and no join to the listings' own table. The ORM would join
    the listings' table and count DISTINCT, half again as slow; hence the SQL."""
    roles = model.roles.through._meta.db_table
    goals = model.goals.through._meta.db_table
    owner = f"{model._meta.model_name}_id"  # "initiative_id" / "organization_id"
    chosen, params = listings.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.role_id, g.goal_id, COUNT(*) FROM {roles} r"
            f" JOIN {goals} g ON g.{owner} = r.{owner}"
            f" WHERE r.{owner} IN ({chosen}) GROUP BY r.role_id, g.goal_id",
            params,
        )
        by_cell = {(role, goal): n for role, goal, n in cursor.fetchall()}
    linked = model.roles.through.objects.filter(**{f"{owner}__in": listings.values("pk")})
    by_role = dict(linked.values_list("role_id").annotate(n=Count(owner)).order_by())
    return by_cell, by_role


def coverage(*, state: str | None = None, scopes: list[str] | None = None) -> dict:
    initiatives = Initiative.objects.published()
    organizations = Organization.objects.published()
    if state:
        initiatives, organizations = (
            initiatives.filter(state=state),
            organizations.filter(state=state),
        )
    if scopes:
        initiatives = initiatives.filter(scope__in=scopes)
        organizations = organizations.filter(scope__in=scopes)
    # The aggregates are the costly part: cached until a listing changes.
    ini_cells, ini_roles = cached(
        "coverage", ("initiative", state, scopes), lambda: _cells(Initiative, initiatives)
    )
    org_cells, org_roles = cached(
        "coverage", ("organization", state, scopes), lambda: _cells(Organization, organizations)
    )
    goals = list(Goal.objects.all())
    roles = list(Role.objects.with_label())
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
        group_totals[role.group] += o_total + i_total
        rows.append(
            {
                "role": role,
                "cells": cells,
                "organizations": o_total,
                "initiatives": i_total,
                "total": o_total + i_total,
            }
        )
    thinnest = sorted(rows, key=lambda r: (r["total"], r["role"].number))[:THIN]
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
        "goals": [{"slug": g.slug, "number": g.number, "title": g.title} for g in data["goals"]],
        "roles": [
            {
                "slug": row["role"].slug,
                "name": row["role"].name,
                "group": row["role"].group.slug,
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
