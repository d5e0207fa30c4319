"""The whole published directory as one HSDS 3.0 package (JSON): ``manage.py export_hsds``."""

from django.conf import settings

from directory.hsds import mapping
from directory.hsds.queries import all_terms, organizations


def export_package(base: str | None = None) -> dict:
    """Published organizations with their services fully nested, and our taxonomies.

    ``importer.import_hsds`` reads this back (docs/hsds.md, "Round trip").
    """
    base = base or settings.SITE_URL
    return {
        "version": mapping.HSDS_VERSION,
        "organizations": [
            mapping.organization_document(
                org, base, full=True, services=getattr(org, "hsds_services", [])
            )
            for org in organizations(full=True, full_service=True).order_by("name", "uuid")
        ],
        "taxonomies": mapping.taxonomies(base),
        "taxonomy_terms": all_terms(base),
    }
