"""Who does the work: published listings for a role or a goal page, in a fixed number of queries."""

from directory.models import Event, Initiative, Organization
from directory.search.cards import newest_cards

SHOWN = 8


def listings_for(*, field: str, obj) -> dict:
    """The newest published initiatives and organizations linked to a role or goal, with totals."""
    initiatives = Initiative.objects.published().filter(**{field: obj})
    organizations = Organization.objects.published().filter(**{field: obj})
    return {
        "initiatives": newest_cards(initiatives, SHOWN),
        "initiative_total": initiatives.count(),
        "organizations": organizations.order_by("name")[:SHOWN],
        "organization_total": organizations.count(),
        "events": Event.objects.published()
        .upcoming()
        .filter(**{field: obj})
        .select_related("organization")
        .order_by("starts_at")[:5],
    }
