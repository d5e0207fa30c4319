"""Reading an HSDS 3.0 package: the file as data, and its organizations with their services.

Accepted (JSON): a list of organizations, one organization, an HSDS ``Page`` of them
(``{"contents": [...]}``), or ``{"organizations": [...], "services": [...]}`` where top-level
services name their organization by ``organization_id``. Organizations may nest ``services``
(as ``/api/hsds/organizations?full_service=true`` gives them). The tabular form (a data package
of CSV files) is read by ``tabular.py`` into the same shape. ``checks.py`` checks the records and
``importer.py`` lands them.
"""

import json

from django.utils.translation import gettext as _


class PackageError(ValueError):
    """The file is not an HSDS package at all (not JSON, or not organizations)."""


def organizations_in(data) -> list[dict]:
    """The organization records of a package, with top-level services nested in their own."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    if isinstance(data, dict) and "organizations" not in data and "id" in data:
        data = [data]
    if isinstance(data, list):
        data = {"organizations": data}
    if not isinstance(data, dict) or not isinstance(data.get("organizations", []), list):
        raise PackageError(_("This is not an HSDS data package: no list of organizations."))
    organizations = list(data.get("organizations", []))
    services = data.get("services", [])
    if not isinstance(services, list):
        raise PackageError(_("This is not an HSDS data package: services is not a list."))
    if not organizations and not services:
        raise PackageError(_("The package has no organizations."))
    by_id = {}
    for org in organizations:
        if isinstance(org, dict):
            org.setdefault("services", [])
            by_id.setdefault(str(org.get("id", "")).lower(), org)
    loose = []
    for service in services:
        owner = (
            by_id.get(str(service.get("organization_id", "")).lower())
            if isinstance(service, dict)
            else None
        )
        if owner is not None:
            owner["services"].append(service)
        else:
            loose.append(service)
    return [*organizations, {"_existing_organization_services": loose}] if loose else organizations


def read_package(raw: bytes, name: str = "") -> object:
    """A package file as data: JSON, or (``.zip``) the tabular form, a zip of HSDS CSV files."""
    if name.lower().endswith(".zip") or raw[:2] == b"PK":
        # Here, not at the top: tabular.py reports its problems as this module's PackageError.
        from directory.hsds.tabular import read_zip

        return read_zip(raw)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PackageError(_("The file is not UTF-8 text.")) from None
    except ValueError as exc:
        raise PackageError(_("The file is not JSON: %(problem)s") % {"problem": exc}) from None
