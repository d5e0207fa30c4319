"""The tabular form of an HSDS 3.0 package (a zip of its CSV files, as the specification's
``datapackage.json`` names them) to and from the nested JSON form the importer reads."""

import csv
import io
import zipfile
from collections import defaultdict
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

from directory.hsds.package import PackageError

NUMBERS = {"year_incorporated", "latitude", "longitude", "timezone"}
#: table -> the columns we write (and read), in the specification's order
COLUMNS = {
    "organizations": [
        "id",
        "name",
        "alternate_name",
        "description",
        "email",
        "website",
        "year_incorporated",
        "uri",
    ],
    "organization_identifiers": [
        "id",
        "organization_id",
        "identifier_scheme",
        "identifier_type",
        "identifier",
    ],
    "services": [
        "id",
        "organization_id",
        "name",
        "description",
        "url",
        "status",
        "application_process",
        "last_modified",
    ],
    "locations": ["id", "location_type", "organization_id", "name", "latitude", "longitude"],
    "addresses": [
        "id",
        "location_id",
        "address_1",
        "city",
        "region",
        "state_province",
        "postal_code",
        "country",
        "address_type",
    ],
    "service_at_location": ["id", "service_id", "location_id", "description"],
    "service_areas": ["id", "service_id", "name", "extent", "extent_type"],
    "languages": ["id", "service_id", "name", "code"],
    "schedules": [
        "id",
        "service_id",
        "valid_from",
        "valid_to",
        "dtstart",
        "timezone",
        "opens_at",
        "closes_at",
        "description",
        "notes",
        "schedule_link",
        "attending_type",
    ],
    "attributes": ["id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value"],
    "taxonomies": ["id", "name", "description", "uri", "version"],
    "taxonomy_terms": [
        "id",
        "code",
        "name",
        "description",
        "parent_id",
        "taxonomy",
        "taxonomy_id",
        "language",
        "term_uri",
    ],
    "metadata": [
        "id",
        "resource_id",
        "resource_type",
        "last_action_date",
        "last_action_type",
        "field_name",
        "previous_value",
        "replacement_value",
        "updated_by",
    ],
}


def _value(column: str, raw: str):
    if raw == "":
        return None
    if column in NUMBERS:
        try:
            number = float(raw)
        except ValueError:
            return raw  # the importer reports it as not a number
        return int(number) if number.is_integer() and column == "year_incorporated" else number
    return raw


def read_zip(raw: bytes) -> dict:
    """A zip of HSDS CSV files as ``{"organizations": [... nested ...], "services": [...]}``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise PackageError(_("The file is not a zip of CSV files.")) from None
    tables: dict[str, list[dict]] = {}
    for name in archive.namelist():
        path = PurePosixPath(name)
        if path.suffix.lower() != ".csv" or path.name.startswith("."):
            continue
        try:
            text = archive.read(name).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PackageError(_("%(file)s is not UTF-8 text.") % {"file": path.name}) from None
        tables[path.stem] = [
            {k.strip(): _value(k.strip(), (v or "").strip()) for k, v in row.items() if k}
            for row in csv.DictReader(io.StringIO(text))
        ]
    if "organizations" not in tables:
        raise PackageError(_("The zip has no organizations.csv."))
    return nest(tables)


def _by(rows, key: str) -> dict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.get(key)].append(row)
    return grouped


def _clean(row: dict) -> dict:
    return {k: v for k, v in row.items() if v is not None}


def nest(tables: dict[str, list[dict]]) -> dict:
    terms = {t["id"]: _clean(t) for t in tables.get("taxonomy_terms", [])}
    attributes = _by(tables.get("attributes", []), "link_id")
    metadata = _by(tables.get("metadata", []), "resource_id")
    addresses = _by(tables.get("addresses", []), "location_id")
    locations = {loc["id"]: loc for loc in tables.get("locations", [])}
    sal_rows = tables.get("service_at_location", []) or tables.get("service_at_locations", [])
    service_locations = {row.get("location_id") for row in sal_rows}

    def linked(row: dict) -> dict:
        document = _clean(row)
        document["attributes"] = [
            {
                **_clean(a),
                **(
                    {"taxonomy_term": terms[a["taxonomy_term_id"]]}
                    if a.get("taxonomy_term_id") in terms
                    else {}
                ),
            }
            for a in attributes.get(row["id"], [])
        ]
        document["metadata"] = [_clean(m) for m in metadata.get(row["id"], [])]
        return document

    def location(row: dict) -> dict:
        return {**_clean(row), "addresses": [_clean(a) for a in addresses.get(row["id"], [])]}

    identifiers = _by(tables.get("organization_identifiers", []), "organization_id")
    org_locations = _by(
        [loc for loc in tables.get("locations", []) if loc["id"] not in service_locations],
        "organization_id",
    )
    organizations = []
    for row in tables["organizations"]:
        document = linked(row)
        document["organization_identifiers"] = [_clean(i) for i in identifiers.get(row["id"], [])]
        document["locations"] = [location(loc) for loc in org_locations.get(row["id"], [])]
        organizations.append(document)

    sals = _by(sal_rows, "service_id")
    languages = _by(tables.get("languages", []), "service_id")
    areas = _by(tables.get("service_areas", []), "service_id")
    schedules = _by(tables.get("schedules", []), "service_id")
    services = []
    for row in tables.get("services", []):
        document = linked(row)
        document["service_at_locations"] = [
            {
                **_clean(s),
                **(
                    {"location": location(locations[s["location_id"]])}
                    if s.get("location_id") in locations
                    else {}
                ),
            }
            for s in sals.get(row["id"], [])
        ]
        document["languages"] = [_clean(x) for x in languages.get(row["id"], [])]
        document["service_areas"] = [_clean(x) for x in areas.get(row["id"], [])]
        document["schedules"] = [_clean(x) for x in schedules.get(row["id"], [])]
        services.append(document)
    return {"organizations": organizations, "services": services}


def flatten(package: dict) -> dict[str, list[dict]]:
    """A JSON package (``export.export_package``) as HSDS tables."""
    tables = {name: [] for name in COLUMNS}

    def add(table: str, row: dict) -> None:
        tables[table].append({column: row.get(column, "") for column in COLUMNS[table]})

    def linked(document: dict) -> None:
        for attribute in document.get("attributes", []):
            add("attributes", attribute)
        for entry in document.get("metadata", []):
            add("metadata", entry)

    def location(document: dict) -> None:
        add("locations", document)
        for address in document.get("addresses", []):
            add("addresses", address)

    for taxonomy in package.get("taxonomies", []):
        add("taxonomies", taxonomy)
    for term in package.get("taxonomy_terms", []):
        add("taxonomy_terms", term)
    for org in package.get("organizations", []):
        add("organizations", org)
        linked(org)
        for identifier in org.get("organization_identifiers", []):
            add("organization_identifiers", identifier)
        for loc in org.get("locations", []):
            location(loc)
        for service in org.get("services", []):
            add("services", service)
            linked(service)
            for sal in service.get("service_at_locations", []):
                add("service_at_location", sal)
                location(sal["location"])
            for table, key in (
                ("service_areas", "service_areas"),
                ("languages", "languages"),
                ("schedules", "schedules"),
            ):
                for row in service.get(key, []):
                    add(table, row)
    return tables


def write_zip(package: dict) -> bytes:
    """A JSON package as a zip of HSDS CSV files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table, rows in flatten(package).items():
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=COLUMNS[table], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            archive.writestr(f"{table}.csv", out.getvalue())
    return buffer.getvalue()
