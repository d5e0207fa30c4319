"""Coverage counts that the database keeps current: how many published listings work in each
role, and in each role × goal cell, per state and scope (``directory.services.coverage``).

Triggers on the listings and their role and goal links (migration ``0022``) append a change of
+1 or -1 to ``CoverageChange`` for every cell a write affects: inserts only, so writers of
different listings never wait on one another (two transactions changing one listing take turns:
its row's lock). ``coverage.fold_changes`` moves the changes into ``CoverageCount``,
adding them to the state's rows and to the all-states rows (``ALL_STATES``). A count is always the
folded rows plus the changes not folded yet, so it is exact whatever has been folded.
"""

from django.db import models

#: the ``state`` of the rows that add up every state (a listing's own state is two letters or "")
ALL_STATES = "*"
#: the ``goal`` of a role's own total: listings in the role, whatever their goals
ROLE_TOTAL = 0


class Kind(models.TextChoices):
    INITIATIVE = "i", "initiative"
    ORGANIZATION = "o", "organization"


class CoverageCount(models.Model):
    """Published listings of one kind in one state and scope, for one role and goal."""

    state = models.CharField(max_length=2)  # two letters, "" (none given) or ALL_STATES
    scope = models.CharField(max_length=10)
    kind = models.CharField(max_length=1, choices=Kind)
    # Plain numbers, not foreign keys: rows of a deleted role or goal fall to 0 by the triggers
    # (its links are deleted first), and the page only reads the current taxonomy's.
    role_id = models.IntegerField()
    goal_id = models.IntegerField()  # ROLE_TOTAL: the role's own total
    n = models.IntegerField(default=0)

    class Meta:
        db_table = "directory_coverage_count"
        constraints = [
            models.UniqueConstraint(
                fields=["state", "scope", "kind", "role_id", "goal_id"], name="coverage_count_key"
            )
        ]

    def __str__(self):
        return f"{self.state or '-'} {self.scope} {self.kind} role {self.role_id} goal {self.goal_id}: {self.n}"


class CoverageChange(models.Model):
    """One cell's change (+1 or -1) written by a trigger, until ``fold_changes`` counts it."""

    id = models.BigAutoField(primary_key=True)
    state = models.CharField(max_length=2)
    scope = models.CharField(max_length=10)
    kind = models.CharField(max_length=1, choices=Kind)
    role_id = models.IntegerField()
    goal_id = models.IntegerField()
    delta = models.SmallIntegerField()

    class Meta:
        db_table = "directory_coverage_change"

    def __str__(self):
        return f"{self.state or '-'} {self.scope} {self.kind} role {self.role_id} goal {self.goal_id}: {self.delta:+d}"
