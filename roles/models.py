"""The paper's 53 strategist and actor roles, in 11 groups."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    STRATEGIST = "strategist", _("Conflict strategist")
    ACTOR = "actor", _("Conflict actor")


class RoleGroupManager(models.Manager):
    def get_by_natural_key(self, slug: str) -> "RoleGroup":
        return self.get(slug=slug)


class RoleGroup(models.Model):
    slug = models.SlugField(unique=True, max_length=80)
    letter = models.CharField(
        max_length=1, unique=True, help_text=_("The paper's group letter, A–K.")
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind)
    order = models.PositiveSmallIntegerField(unique=True)
    summary = models.TextField()
    # Groups E–J each serve one of the six dispute-handling functions of a democracy.
    function_number = models.PositiveSmallIntegerField(null=True, blank=True, unique=True)
    function_name = models.CharField(max_length=120, blank=True)
    paper_section = models.CharField(max_length=200, blank=True)

    objects = RoleGroupManager()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["strategist", "actor"]), name="rolegroup_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(function_number__isnull=True)
                | models.Q(function_number__gte=1, function_number__lte=6),
                name="rolegroup_function_1_to_6",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter}. {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("roles:role-list") + f"#group-{self.slug}"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


def has_namesake(prefix: str = "") -> models.Exists:
    """Whether another role has the same name as the role at ``prefix`` (``"role__"`` from a row
    that points to a role): the annotation ``Role.label`` reads as ``has_namesake``."""
    return models.Exists(
        Role.objects.filter(name_en=models.OuterRef(f"{prefix}name_en")).exclude(
            pk=models.OuterRef(f"{prefix}pk")
        )
    )


class RoleQuerySet(models.QuerySet):
    def with_group(self) -> "RoleQuerySet":
        return self.select_related("group")

    def with_label(self) -> "RoleQuerySet":
        """With their group and whether another role has the same name: what ``Role.label``
        needs, in the same query."""
        return self.with_group().annotate(has_namesake=has_namesake())


class RoleManager(models.Manager.from_queryset(RoleQuerySet)):
    def get_by_natural_key(self, slug: str) -> "Role":
        return self.get(slug=slug)


class Role(models.Model):
    slug = models.SlugField(unique=True, max_length=80)
    name = models.CharField(max_length=120)
    group = models.ForeignKey(RoleGroup, on_delete=models.PROTECT, related_name="roles")
    number = models.PositiveSmallIntegerField(unique=True, help_text=_("1–53, the paper's order."))
    summary = models.TextField()
    paper_section = models.CharField(max_length=200, blank=True)

    objects = RoleManager()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("roles:role-detail", args=[self.slug])

    @property
    def label(self) -> str:
        """How the role is shown wherever its group is not: its name, followed by its group's
        when another role has the same name (the paper has two kinds of "Mediators").

        Rows from ``Role.objects.with_label()`` know it already; others ask the database.
        """
        has_namesake = getattr(self, "has_namesake", None)
        if has_namesake is None:
            has_namesake = Role.objects.filter(name_en=self.name_en).exclude(pk=self.pk).exists()
        if not has_namesake:
            return self.name
        # Translators: a role whose name another role shares, then its group, e.g.
        # "Mediators (De-Escalators)".
        return gettext("%(role)s (%(group)s)") % {"role": self.name, "group": self.group.name}

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    natural_key.dependencies = ["roles.rolegroup"]


class FinderAnswerManager(models.Manager):
    def get_by_natural_key(self, kind: str, slug: str) -> "FinderAnswer":
        return self.get(kind=kind, slug=slug)


class FinderAnswer(models.Model):
    """An answer a person can give in the role finder (/get-involved/).

    Goals are answers too (kind ``goal``, slug = the goal's slug). Curators tune the finder by
    editing the weights in the admin; nothing about the scoring lives in code.
    """

    class Kind(models.TextChoices):
        GOAL = "goal", _("What you care about")
        SKILL = "skill", _("What you like doing")
        TIME = "time", _("How much time you have")

    kind = models.CharField(max_length=10, choices=Kind)
    slug = models.SlugField(max_length=80)
    label = models.CharField(max_length=160)
    because = models.CharField(
        max_length=200, help_text=_("Completes “It fits because you …”, e.g. “like to listen”.")
    )
    order = models.PositiveSmallIntegerField(default=0)
    roles = models.ManyToManyField(Role, through="FinderWeight", related_name="finder_answers")

    objects = FinderAnswerManager()

    class Meta:
        ordering = ["kind", "order"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "slug"], name="finder_answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"

    def natural_key(self) -> tuple[str, str]:
        return (self.kind, self.slug)


class FinderWeightManager(models.Manager):
    def get_by_natural_key(self, kind: str, slug: str, role: str) -> "FinderWeight":
        return self.get(answer__kind=kind, answer__slug=slug, role__slug=role)


class FinderWeight(models.Model):
    """How strongly an answer points to a role (1 = a little, 3 = strongly)."""

    answer = models.ForeignKey(FinderAnswer, on_delete=models.CASCADE, related_name="weights")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="finder_weights")
    weight = models.PositiveSmallIntegerField(default=1)

    objects = FinderWeightManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "role"], name="finder_weight_unique"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=5), name="finder_weight_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.answer.slug} → {self.role.slug} ({self.weight})"

    def natural_key(self) -> tuple[str, str, str]:
        return (*self.answer.natural_key(), self.role.slug)

    natural_key.dependencies = ["roles.finderanswer", "roles.role"]
