"""Our listings as Open Referral HSDS 3.0 documents (docs/hsds.md gives the whole mapping).

Organizations are HSDS organizations; initiatives are services; a listing's place is an HSDS
location (with one address), and an initiative's place is its service-at-location; the events of
an initiative are its service's schedules. The 7 goals and the 53 roles are two HSDS taxonomies,
linked to listings by attributes; the 11 role groups are the parent terms of the roles.
``metadata`` carries a listing's sources (one entry per source) and its last-verified date.

Every id is a UUID. A listing's own ``uuid`` is the id of its organization or service, and also
of its location and service-at-location (HSDS ids are unique per table), so each is found by it.
Ids of the parts that have no UUID of their own (taxonomy terms, attributes, addresses, …) are
derived from stable names with UUID version 5, so they are the same on every export.
"""

import uuid
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from directory.models import Scope
from directory.search.geo import US_STATES

HSDS_VERSION = "3.0"
SPEC_URL = "https://github.com/openreferral/specification/tree/3.0"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openreferral/specification#mpdb")
SUMMARY_MAX = 280
#: the metadata ``last_action_type`` of a source, and of the last-verified date
SOURCE_ACTION = "source"
VERIFIED_ACTION = "verified"
VERIFIED_BY = "MPDB Directory"


def derived_id(*parts) -> str:
    """A stable UUID for something that has none of its own."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts)))


GOALS_TAXONOMY_ID = derived_id("taxonomy", "goals")
ROLES_TAXONOMY_ID = derived_id("taxonomy", "roles")


def goal_term_id(slug: str) -> str:
    return derived_id("goal", slug)


def group_term_id(slug: str) -> str:
    return derived_id("role-group", slug)


def role_term_id(slug: str) -> str:
    return derived_id("role", slug)


def _absolute(base: str, path: str) -> str:
    return base.rstrip("/") + path


def _drop_empty(document: dict) -> dict:
    """Leave out optional properties we have no value for (HSDS types do not allow null)."""
    return {key: value for key, value in document.items() if value not in (None, "", [])}


def description_of(listing) -> str:
    """HSDS has one description: our summary, then a blank line and the longer description."""
    if listing.description:
        return f"{listing.summary}\n\n{listing.description}"
    return listing.summary


def split_description(text: str) -> tuple[str, str]:
    """The inverse of ``description_of``: (summary, description)."""
    text = text.strip()
    head, _sep, rest = text.partition("\n\n")
    if rest and len(head) <= SUMMARY_MAX:
        return head.strip(), rest.strip()
    if len(text) <= SUMMARY_MAX:
        return text, ""
    cut = text[: SUMMARY_MAX - 1].rsplit(" ", 1)[0]
    return f"{cut}…", text


# --- taxonomies ---------------------------------------------------------------------------


def taxonomies(base: str) -> list[dict]:
    return [
        {
            "id": GOALS_TAXONOMY_ID,
            "name": _("MPDB goals"),
            "description": _(
                "The seven goals of massively parallel democracy building (Burgess and "
                "Burgess, 2024)."
            ),
            "uri": _absolute(base, "/goals/"),
            "version": "2024-09",
        },
        {
            "id": ROLES_TAXONOMY_ID,
            "name": _("MPDB roles"),
            "description": _(
                "The 53 strategist and actor roles of massively parallel democracy building, "
                "in 11 groups (Burgess and Burgess, 2024)."
            ),
            "uri": _absolute(base, "/roles/"),
            "version": "2024-09",
        },
    ]


def goal_term(goal, base: str) -> dict:
    return {
        "id": goal_term_id(goal.slug),
        "code": goal.slug,
        "name": goal.title,
        "description": goal.summary,
        "taxonomy": _("MPDB goals"),
        "taxonomy_id": GOALS_TAXONOMY_ID,
        "language": get_language() or "en",
        "term_uri": _absolute(base, goal.get_absolute_url()),
    }


def group_term(group, base: str) -> dict:
    return {
        "id": group_term_id(group.slug),
        "code": group.slug,
        "name": group.name,
        "description": group.summary,
        "taxonomy": _("MPDB roles"),
        "taxonomy_id": ROLES_TAXONOMY_ID,
        "language": get_language() or "en",
        "term_uri": _absolute(base, group.get_absolute_url()),
    }


def role_term(role, base: str) -> dict:
    return {
        "id": role_term_id(role.slug),
        "code": role.slug,
        "name": role.name,
        "description": role.summary,
        "parent_id": group_term_id(role.group.slug),
        "taxonomy": _("MPDB roles"),
        "taxonomy_id": ROLES_TAXONOMY_ID,
        "language": get_language() or "en",
        "term_uri": _absolute(base, role.get_absolute_url()),
    }


def attributes_of(listing, entity: str, base: str) -> list[dict]:
    """A listing's goals and roles, each as an attribute linking it to a taxonomy term."""
    link_id = str(listing.uuid)
    terms = [("goal", goal_term(goal, base)) for goal in listing.goals.all()]
    terms += [("role", role_term(role, base)) for role in listing.roles.all()]
    return [
        {
            "id": derived_id("attribute", link_id, term["id"]),
            "link_id": link_id,
            "link_type": link_type,
            "link_entity": entity,
            "taxonomy_term_id": term["id"],
            "taxonomy_term": term,
        }
        for link_type, term in terms
    ]


# --- provenance ---------------------------------------------------------------------------


def metadata_of(listing, resource_type: str) -> list[dict]:
    """One entry per source (newest first), then the last-verified date, if any."""
    resource_id = str(listing.uuid)
    entries = []
    sources = sorted(listing.sources.all(), key=lambda s: (-s.seen_on.toordinal(), s.url))
    for source in sources:
        entries.append(
            {
                "id": derived_id("source", resource_id, source.url, source.seen_on.isoformat()),
                "resource_id": resource_id,
                "resource_type": resource_type,
                "last_action_date": source.seen_on.isoformat(),
                "last_action_type": SOURCE_ACTION,
                "field_name": ",".join(source.supports or []),
                "previous_value": "",
                "replacement_value": source.url,
                "updated_by": source.publisher,
            }
        )
    if listing.last_verified_at:
        entries.append(
            {
                "id": derived_id("verified", resource_id),
                "resource_id": resource_id,
                "resource_type": resource_type,
                "last_action_date": _iso(listing.last_verified_at),
                "last_action_type": VERIFIED_ACTION,
                "field_name": "",
                "previous_value": "",
                "replacement_value": "",
                "updated_by": VERIFIED_BY,
            }
        )
    return entries


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- places -------------------------------------------------------------------------------


def has_place(listing) -> bool:
    """Anything of a place: a ZIP code, a city, a state (statewide work) or coordinates."""
    return bool(
        listing.postal_code or listing.city or listing.state or listing.latitude is not None
    )


def location_of(listing, organization_id: str) -> dict:
    """A listing's place as an HSDS location with one physical address (we keep no street)."""
    location_id = str(listing.uuid)
    address = {
        "id": derived_id("address", location_id),
        "location_id": location_id,
        "address_1": "",
        "city": listing.city,
        "region": listing.county or None,
        "state_province": listing.state,
        "postal_code": listing.postal_code,
        "country": "US",
        "address_type": "physical",
    }
    return _drop_empty(
        {
            "id": location_id,
            "location_type": "physical",
            "organization_id": organization_id,
            "name": listing.place or listing.postal_code or None,
            "latitude": listing.latitude,
            "longitude": listing.longitude,
            "addresses": [{k: v for k, v in address.items() if v is not None}],
        }
    )


def service_area_of(initiative) -> dict:
    """Where an initiative works: its scope, named as a place where that makes sense."""
    scope = initiative.scope
    if scope == Scope.NATIONAL:
        name = _("United States")
    elif scope == Scope.ONLINE:
        name = _("Online")
    elif scope == Scope.STATE and initiative.state:
        name = str(US_STATES.get(initiative.state, initiative.state))
    else:
        name = initiative.place or initiative.postal_code or str(Scope(scope).label)
    return {
        "id": derived_id("service-area", initiative.uuid),
        "service_id": str(initiative.uuid),
        "name": name,
        "extent": scope,
        "extent_type": "text",
    }


# --- organizations and services -----------------------------------------------------------


def organization_document(org, base: str, *, full: bool = False, services=None) -> dict:
    """An HSDS organization: direct properties only, or ``full`` with its related records;
    ``services`` (already published and prefetched) nests them, as ``full_service`` asks."""
    org_id = str(org.uuid)
    document = _drop_empty(
        {
            "id": org_id,
            "name": org.name,
            "description": description_of(org),
            "email": org.email,
            "website": org.website,
            "year_incorporated": org.founded_year,
            "uri": _absolute(base, org.get_absolute_url()),
        }
    )
    if not full:
        return document
    document["organization_identifiers"] = [
        {
            "id": derived_id("identifier", org_id, "slug"),
            "organization_id": org_id,
            "identifier_type": "MPDB Directory slug",
            "identifier": org.slug,
        }
    ]
    document["locations"] = [location_of(org, org_id)] if has_place(org) else []
    document["attributes"] = attributes_of(org, "organization", base)
    document["metadata"] = metadata_of(org, "organization")
    if services is not None:
        document["services"] = [service_document(s, base, full=True) for s in services]
    return document


def service_status(initiative) -> str:
    if initiative.ends_on and initiative.ends_on < timezone.localdate():
        return "inactive"
    return "active"


def service_document(initiative, base: str, *, full: bool = False) -> dict:
    """An HSDS service: the list form (with its organization) or ``full``."""
    service_id = str(initiative.uuid)
    document = _drop_empty(
        {
            "id": service_id,
            "organization_id": str(initiative.organization.uuid),
            "name": initiative.title,
            "description": description_of(initiative),
            "url": initiative.website,
            "status": service_status(initiative),
            "application_process": initiative.get_involved,
            "last_modified": _iso(initiative.updated_at),
        }
    )
    document["organization"] = organization_document(initiative.organization, base)
    if not full:
        return document
    document["service_at_locations"] = (
        [service_at_location_document(initiative, base, with_service=False)]
        if has_place(initiative)
        else []
    )
    document["service_areas"] = [service_area_of(initiative)]
    document["languages"] = [
        {
            "id": derived_id("language", service_id, language.code),
            "service_id": service_id,
            "name": language.name,
            "code": language.code,
        }
        for language in initiative.languages.all()
    ]
    document["schedules"] = [
        schedule_of(event, service_id, base) for event in published_events(initiative)
    ]
    document["attributes"] = attributes_of(initiative, "service", base)
    document["metadata"] = metadata_of(initiative, "service")
    return document


def service_at_location_document(initiative, base: str, *, with_service: bool = True) -> dict:
    """An initiative at its place (we have one place per initiative)."""
    organization_id = str(initiative.organization.uuid)
    document = {
        "id": str(initiative.uuid),
        "service_id": str(initiative.uuid),
        "location_id": str(initiative.uuid),
        "location": location_of(initiative, organization_id),
    }
    if with_service:
        document["service"] = service_document(initiative, base)
    return document


def published_events(initiative) -> list:
    """Its published events, prefetched as ``hsds_events`` by the views."""
    events = getattr(initiative, "hsds_events", None)
    if events is None:
        from directory.models import Event

        events = Event.objects.published().filter(initiative=initiative)
    return list(events)


def schedule_of(event, service_id: str, base: str) -> dict:
    """One event of an initiative as a one-off schedule of its service, in local time."""
    start, end = event.local_start, event.local_end
    offset = start.utcoffset()
    return _drop_empty(
        {
            "id": str(event.uuid),
            "service_id": service_id,
            "valid_from": start.date().isoformat(),
            "valid_to": (end or start).date().isoformat(),
            "dtstart": start.date().isoformat(),
            "timezone": offset.total_seconds() / 3600 if offset is not None else None,
            "opens_at": None if event.all_day else start.strftime("%H:%M"),
            "closes_at": None if event.all_day or end is None else end.strftime("%H:%M"),
            "description": event.title,
            "notes": event.summary,
            "schedule_link": _absolute(base, event.get_absolute_url()),
            "attending_type": event.mode,
        }
    )
