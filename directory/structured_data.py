"""schema.org JSON-LD for detail pages (search engines and partners read it)."""

from urllib.parse import urlsplit

from directory.validators import http_url

#: sites whose page about an organization identifies it (schema.org ``sameAs``): encyclopaedias,
#: nonprofit registries and profiles. A source there that states the organization's name is one
#: of its other profiles; news and the organization's own pages are not.
PROFILE_SITES = (
    "wikipedia.org",
    "wikidata.org",
    "ballotpedia.org",
    "guidestar.org",
    "candid.org",
    "charitynavigator.org",
    "causeiq.com",
    "projects.propublica.org",
    "participedia.net",
    "linkedin.com",
    "facebook.com",
    "instagram.com",
    "x.com",
    "twitter.com",
    "youtube.com",
    "bsky.app",
    "threads.net",
)


def _is_profile(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == site or host.endswith("." + site) for site in PROFILE_SITES)


def _profiles(org) -> list[str]:
    """The website, then the other profiles among the organization's sources (newest first)."""
    urls = [http_url(org.website)]
    urls += [
        http_url(source.url)
        for source in org.sources.all()
        if "name" in (source.supports or []) and _is_profile(source.url)
    ]
    return list(dict.fromkeys(url for url in urls if url))


def _place(obj) -> dict | None:
    if not (obj.city or obj.state or obj.postal_code):
        return None
    address = {"@type": "PostalAddress", "addressCountry": "US"}
    if obj.city:
        address["addressLocality"] = obj.city
    if obj.state:
        address["addressRegion"] = obj.state
    if obj.postal_code:
        address["postalCode"] = obj.postal_code
    place = {"@type": "Place", "address": address}
    if obj.latitude is not None and obj.longitude is not None:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": obj.latitude,
            "longitude": obj.longitude,
        }
    return place


def _names(obj, kind: str) -> list[str]:
    """The names of a listing's roles or goals (``kind``: "role" or "goal"): from the taxonomy's
    terms a detail page reads with it (``taxonomy.with_terms``), else from its models."""
    terms = getattr(obj, f"{kind}_terms", None)
    if terms is not None:
        return [term.name for term in terms]
    if kind == "goal":
        return [goal.title for goal in obj.goals.all()]
    return [role.name for role in obj.roles.all()]


def _common(obj, request) -> dict:
    data = {
        "@context": "https://schema.org",
        "url": request.build_absolute_uri(obj.get_absolute_url()),
        "description": obj.summary,
        "identifier": str(obj.uuid),
        "knowsAbout": _names(obj, "role") + _names(obj, "goal"),
    }
    if http_url(obj.website):
        data["sameAs"] = obj.website
    place = _place(obj)
    if place:
        data["location"] = place
    if obj.scope in ("national", "online"):
        data["areaServed"] = "United States"
    return data


def organization_jsonld(org, request) -> dict:
    """schema.org ``Organization``, with its founding year, address, other profiles and the
    published networks it belongs to, where known."""
    data = {"@type": "Organization", "name": org.name, **_common(org, request)}
    if org.email:
        data["email"] = org.email
    if org.founded_year:
        data["foundingDate"] = f"{org.founded_year:04d}"
    if "location" in data:
        data["address"] = data["location"]["address"]
    profiles = _profiles(org)
    if profiles:
        data["sameAs"] = profiles
    networks = getattr(org, "published_networks", None)
    if networks is None:
        networks = org.networks.published().order_by("name")
    if networks:
        data["memberOf"] = [
            {
                "@type": "Organization",
                "name": network.name,
                "url": request.build_absolute_uri(network.get_absolute_url()),
            }
            for network in networks
        ]
    return data


def initiative_jsonld(initiative, request) -> dict:
    """An initiative is a schema.org ``Project`` of its organization."""
    org = initiative.organization
    return {
        "@type": "Project",
        "name": initiative.title,
        **_common(initiative, request),
        "parentOrganization": {
            "@type": "Organization",
            "name": org.name,
            "url": request.build_absolute_uri(org.get_absolute_url()),
        },
    }


def event_jsonld(event, request) -> dict:
    """schema.org ``Event`` with its attendance mode, place or virtual location, organizer."""
    modes = {
        "in_person": "https://schema.org/OfflineEventAttendanceMode",
        "online": "https://schema.org/OnlineEventAttendanceMode",
        "hybrid": "https://schema.org/MixedEventAttendanceMode",
    }
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": event.summary,
        "url": request.build_absolute_uri(event.get_absolute_url()),
        "identifier": str(event.uuid),
        "startDate": (event.local_start.date() if event.all_day else event.local_start).isoformat(),
        "eventAttendanceMode": modes[event.mode],
        "eventStatus": "https://schema.org/EventScheduled",
        "organizer": {
            "@type": "Organization",
            "name": event.organization.name,
            "url": request.build_absolute_uri(event.organization.get_absolute_url()),
        },
    }
    if event.local_end:
        data["endDate"] = (event.local_end.date() if event.all_day else event.local_end).isoformat()
    locations = []
    place = _place(event)
    if place and event.mode != "online":
        locations.append(place)
    online_url = http_url(event.join_url) or http_url(event.registration_url)
    if event.mode != "in_person" and online_url:
        locations.append({"@type": "VirtualLocation", "url": online_url})
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    if event.cost:
        data["isAccessibleForFree"] = event.cost.strip().lower() in ("free", "free.", "no cost")
    return data
