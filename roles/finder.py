"""The role finder's scoring: answers → weights (data, tuned by curators) → ranked roles."""

from dataclasses import dataclass, field

from .models import FinderAnswer, FinderWeight, Role, has_namesake

TOP = 5


@dataclass
class Recommendation:
    role: Role
    score: int
    because: list[str] = field(default_factory=list)
    initiatives: list = field(default_factory=list)


def recommend(answers: list[FinderAnswer], top: int = TOP) -> list[Recommendation]:
    """The best-fitting roles for these answers, highest total weight first (ties: paper order).

    One query, whatever the number of roles or answers.
    """
    if not answers:
        return []
    found: dict[int, Recommendation] = {}
    weights = (
        FinderWeight.objects.filter(answer__in=answers)
        .select_related("role__group", "answer")
        .annotate(role_has_namesake=has_namesake("role__"))  # for the role's label
        .order_by("answer__kind", "answer__order")  # reasons: goals, then skills, then time
    )
    for weight in weights:
        weight.role.has_namesake = weight.role_has_namesake
        rec = found.setdefault(weight.role_id, Recommendation(role=weight.role, score=0))
        rec.score += weight.weight
        rec.because.append(weight.answer.because)
    ranked = sorted(found.values(), key=lambda r: (-r.score, r.role.number))
    return ranked[:top]
