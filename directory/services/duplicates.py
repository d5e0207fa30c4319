"""Possible duplicates of a submission, shown to curators in the queue."""

import difflib
from urllib.parse import urlparse

from django.db.models import Q

from directory.models import Organization, Status


def possible_duplicates(target, limit: int = 5) -> list:
    """Listings that may be the same thing: same web domain, or a similar name nearby."""
    model = type(target)
    name_field = "name" if model is Organization else "title"
    name = getattr(target, name_field)
    query = Q()
    domain = (urlparse(target.website).hostname or "").removeprefix("www.")
    if domain:
        query |= Q(website__icontains=domain)
    words = [w for w in name.split() if len(w) > 3][:2]
    for word in words:
        query |= Q(**{f"{name_field}__icontains": word})
    if not query:
        return []
    candidates = (
        model.objects.exclude(pk=target.pk)
        .exclude(status=Status.REJECTED)
        .filter(query)
        .only("pk", "slug", name_field, "website", "postal_code", "status")[:50]
    )
    found = []
    for other in candidates:
        other_domain = (urlparse(other.website).hostname or "").removeprefix("www.")
        similarity = difflib.SequenceMatcher(
            None, name.lower(), getattr(other, name_field).lower()
        ).ratio()
        same_place = bool(target.postal_code) and other.postal_code == target.postal_code
        if (
            (domain and other_domain == domain)
            or similarity > 0.8
            or (same_place and similarity > 0.6)
        ):
            found.append(other)
        if len(found) >= limit:
            break
    return found
