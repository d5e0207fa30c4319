"""What a card shows of a listing, as plain data: the templates render it and look nothing up.

A list page has 20 cards. Rendered from model instances, each card cost about 350 µs of
template work on the benchmark machine: every ``{{ initiative.x }}`` tries a dictionary lookup,
an attribute and a call before it finds its value; ``get_scope_display`` builds a dictionary
of choices per call; a missing attribute (``distance`` outside a search near a ZIP) lists the
model's attributes with ``dir()`` before giving up; each badge translates its text again. Here
each card is a dict built once in Python, its labels translated once per page, and the
templates find every value at the first lookup.

``badges`` is the one place that decides which badges a listing earns: cards, detail pages and
the organization and event cards all render its list (the ``badge_spans`` template tag).
"""

from __future__ import annotations

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext

from directory.models import Initiative, Scope
from directory.search.taxonomy import with_terms


def _other_languages(listing) -> list:
    """The languages a listing serves people in, when they are more than English alone.

    Reads the page's ``language_terms`` (``taxonomy.with_terms``) or else the prefetched
    ``languages``: no query on list pages. Names are in the reader's language.
    """
    languages = getattr(listing, "language_terms", None)
    if languages is None:
        languages = list(listing.languages.all())
    if not languages or [language.pk for language in languages] == ["en"]:
        return []
    return languages


def badges(listing, labels: dict | None = None) -> list[dict]:
    """The badges a listing (organization, initiative or event) shows, in order: each a dict
    of ``css`` (its class), ``text`` and ``title`` (a tooltip, or "")."""
    labels = labels or badge_labels()
    found = []
    if listing.is_demo:
        found.append(labels["demo"])
    if listing.source == "paper":
        found.append(labels["paper"])
    organization = getattr(listing, "organization", None)
    if getattr(listing, "cross_partisan", False) or (
        organization is not None and organization.cross_partisan
    ):
        found.append(labels["cross"])
    languages = _other_languages(listing)
    if languages:
        names = ", ".join(str(language) for language in languages)
        found.append(
            {"css": "badge-language", "text": labels["in"] % {"names": names}, "title": ""}
        )
    return found


def badge_labels() -> dict:
    """The badges' texts in the active language (translated once per page, not per card).
    Every badge has every key: a missing one would cost the template a failed lookup."""
    return {
        "demo": {
            "css": "badge-demo",
            "text": gettext("Example entry"),
            "title": gettext("Made-up example data for the demo"),
        },
        "paper": {"css": "badge-paper", "text": gettext("Named in the MPDB paper"), "title": ""},
        "cross": {
            "css": "badge-cross",
            "text": gettext("Works across the divide (self-declared)"),
            "title": gettext("The organization says so itself"),
        },
        "newcomers": {"css": "badge-newcomers", "text": gettext("Welcomes newcomers"), "title": ""},
        "in": gettext("In %(names)s"),
        "away": gettext("%(distance)s mi away"),
    }


def _distance(row, labels: dict) -> str:
    """ "12 mi away" on a search near a ZIP code (rows annotated with ``distance``), else ""."""
    distance = getattr(row, "distance", None)
    return "" if distance is None else labels["away"] % {"distance": floatformat(distance, 0)}


def listing_cards(rows) -> list[dict]:
    """The cards of a page of initiatives (read with their organizations) or organizations,
    given their terms (``taxonomy.with_terms``): no query. Every card has every key, so the
    template's lookups never miss."""
    labels = badge_labels()
    scopes = {value: str(label) for value, label in Scope.choices}
    network = gettext("Network or coalition")
    cards = []
    for row in rows:
        found = badges(row, labels)
        if getattr(row, "welcomes_newcomers", False):
            found.append(labels["newcomers"])
        owner = row.organization if isinstance(row, Initiative) else None
        cards.append(
            {
                "url": row.get_absolute_url(),
                "title": row.name,
                "organization": owner.name if owner else "",
                "organization_url": owner.get_absolute_url() if owner else "",
                "where": row.place or scopes.get(row.scope, row.scope),
                "distance": _distance(row, labels),
                "network": network if getattr(row, "is_network", False) else "",
                "summary": row.summary,
                "badges": found,
                # dicts, not the taxonomy's terms: a template finds a dict's value at its
                # first lookup, a term's only after the dict lookup has failed
                "roles": [{"url": role.url, "label": role.label} for role in row.role_terms],
            }
        )
    return cards


def newest_cards(initiatives, count: int) -> list[dict]:
    """The cards of the ``count`` newest of these published initiatives (the home page, role
    and goal pages): two queries (the rows, then their terms)."""
    rows = initiatives.select_related("organization").order_by("-published_at", "-pk")[:count]
    return listing_cards(with_terms(list(rows)))
