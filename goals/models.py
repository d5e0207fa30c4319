"""The paper's seven goals ("Massively Parallel Goal #1 … #7")."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class GoalManager(models.Manager):
    def get_by_natural_key(self, slug: str) -> "Goal":
        return self.get(slug=slug)


class Goal(models.Model):
    number = models.PositiveSmallIntegerField(
        unique=True, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    slug = models.SlugField(unique=True, max_length=80)
    title = models.CharField(max_length=120)
    summary = models.TextField(help_text=_("Plain-language explanation, in our own words."))
    paper_section = models.CharField(max_length=200, blank=True)

    objects = GoalManager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__gte=1, number__lte=7), name="goal_number_1_to_7"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("goals:goal-detail", args=[self.slug])

    def natural_key(self) -> tuple[str]:
        return (self.slug,)
