"""schema.org JSON-LD for detail pages (search engines and partners read it)."""


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


def _common(obj, request) -> dict:
    data = {
        "@context": "https://schema.org",
        "url": request.build_absolute_uri(obj.get_absolute_url()),
        "description": obj.summary,
        "identifier": str(obj.uuid),
        "knowsAbout": [role.name for role in obj.roles.all()]
        + [goal.title for goal in obj.goals.all()],
    }
    if obj.website:
        data["sameAs"] = obj.website
    place = _place(obj)
    if place:
        data["location"] = place
    if obj.scope in ("national", "online"):
        data["areaServed"] = "United States"
    return data


def organization_jsonld(org, request) -> dict:
    data = {"@type": "Organization", "name": org.name, **_common(org, request)}
    if org.email:
        data["email"] = org.email
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
