"""Import an HSDS 3.0 data package: organizations with their services, for curators to review.

Accepted (JSON): a list of organizations, one organization, an HSDS ``Page`` of them
(``{"contents": [...]}``), or ``{"organizations": [...], "services": [...]}`` where top-level
services name their organization by ``organization_id``. Organizations may nest ``services``
(as ``/api/hsds/organizations?full_service=true`` gives them). The tabular form (a data package
of CSV files) is read by ``tabular.py`` into the same shape.

Everything is checked first; any problem, and nothing is saved (one transaction). Problems are
reported by record and HSDS field. Everything lands as *pending* for curators; a record that
looks like a listing we already have (two of: same name, same website, same place) is flagged,
in the result and in the new listing's history. Sources (HSDS ``metadata`` of type ``source``)
are kept as the listing's sources. docs/hsds.md gives the mapping.
"""

import copy
import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from datetime import timezone as dt_timezone
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from directory.hsds import mapping
from directory.models import (
    Event,
    Fact,
    Initiative,
    Language,
    Organization,
    Scope,
    Source,
    SourceRecord,
    Status,
)
from directory.services.listings import listing_save_new
from goals.models import Goal
from roles.models import Role

#: our model fields -> where they come from in an HSDS organization / service
ORGANIZATION_FIELDS = {
    "name": "name",
    "summary": "description",
    "description": "description",
    "website": "website",
    "email": "email",
    "founded_year": "year_incorporated",
}
SERVICE_FIELDS = {
    "title": "name",
    "summary": "description",
    "description": "description",
    "website": "url",
    "get_involved": "application_process",
    "organization": "organization_id",
}
PLACE_FIELDS = {
    "postal_code": "postal_code",
    "city": "city",
    "state": "state_province",
    "county": "region",
}
EVENT_FIELDS = {
    "title": "description",
    "summary": "notes",
    "starts_at": "dtstart",
    "ends_at": "valid_to",
    "registration_url": "schedule_link",
    "mode": "attending_type",
    "timezone": "timezone",
}


def _finite(value) -> bool:
    """A JSON number (not a boolean, not NaN or infinity, which Python's JSON reader allows)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class PackageError(ValueError):
    """The file is not an HSDS package at all (not JSON, or not organizations)."""


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: (new listing, existing listing it may duplicate)
    duplicates: list[tuple] = field(default_factory=list)
    #: attributes of other taxonomies, metadata of other kinds: read but not kept
    skipped: int = 0


@dataclass
class Planned:
    """A record checked and ready to save."""

    instance: object
    path: str
    label: str
    slug_text: str
    roles: list = field(default_factory=list)
    goals: list = field(default_factory=list)
    languages: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    events: list = field(default_factory=list)
    services: list = field(default_factory=list)
    duplicate_of: object = None


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


class Importer:
    def __init__(self, *, by: str, source: str = Source.IMPORT):
        self.by, self.source = by, source
        self.result = ImportResult()
        self.goals = {g.slug: g for g in Goal.objects.all()}
        self.roles = {r.slug: r for r in Role.objects.all()}
        self.term_ids = {mapping.goal_term_id(s): ("goal", s) for s in self.goals}
        self.term_ids |= {mapping.role_term_id(s): ("role", s) for s in self.roles}
        self.languages = {lang.code: lang for lang in Language.objects.all()}
        self.seen_ids: set[str] = set()
        self.new_org_slugs: set[str] = set()

    # --- reporting ---

    def error(self, path: str, label: str, field_name: str, message) -> None:
        # Translators: a problem in an imported HSDS record: where it is, its name, the field.
        self.result.errors.append(
            _("%(path)s (%(label)s), %(field)s: %(problem)s")
            % {"path": path, "label": label, "field": field_name, "problem": message}
        )

    # --- reading values ---

    def string(self, record: dict, key: str, path: str, label: str) -> str:
        value = record.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.error(path, label, key, _("Expected text."))
            return ""
        return value.strip()

    def new_id(self, record: dict, model, path: str, label: str) -> uuid.UUID | None:
        raw = record.get("id")
        try:
            value = uuid.UUID(str(raw))
        except ValueError:
            self.error(path, label, "id", _("Required: a UUID."))
            return None
        if str(value) in self.seen_ids:
            self.error(path, label, "id", _("This id appears twice in the package."))
            return None
        self.seen_ids.add(str(value))
        existing = model.objects.filter(uuid=value).first()
        if existing is not None:
            self.error(
                path,
                label,
                "id",
                _("Already in the directory, as “%(name)s” (%(slug)s).")
                % {"name": existing, "slug": existing.slug},
            )
            return None
        return value

    def place(self, location: dict | None, path: str, label: str) -> dict:
        """city, state, ZIP, county and coordinates from an HSDS location."""
        if not isinstance(location, dict):
            return {}
        address = next(
            (
                a
                for a in location.get("addresses") or []
                if isinstance(a, dict) and a.get("address_type", "physical") == "physical"
            ),
            {},
        )
        found = {
            ours: self.string(address, theirs, path, label) for ours, theirs in PLACE_FIELDS.items()
        }
        country = self.string(address, "country", path, label)
        if country and country.upper() not in ("US", "USA"):
            self.error(path, label, "addresses.country", _("Only U.S. places can be listed."))
        for key in ("latitude", "longitude"):
            value = location.get(key)
            if value is not None and not _finite(value):
                self.error(path, label, key, _("Expected a number."))
            else:
                found[key] = value
        return {k: v for k, v in found.items() if v not in ("", None)}

    def taxonomy(self, record: dict, plan: Planned) -> None:
        for attribute in record.get("attributes") or []:
            if not isinstance(attribute, dict):
                continue
            term = attribute.get("taxonomy_term")
            term = term if isinstance(term, dict) else {}
            term_id = str(attribute.get("taxonomy_term_id") or term.get("id") or "").lower()
            kind_slug = self.term_ids.get(term_id)
            if kind_slug is None and term.get("taxonomy_id") in (
                mapping.GOALS_TAXONOMY_ID,
                mapping.ROLES_TAXONOMY_ID,
            ):
                kind = "goal" if term["taxonomy_id"] == mapping.GOALS_TAXONOMY_ID else "role"
                if term.get("code") in (self.goals if kind == "goal" else self.roles):
                    kind_slug = (kind, term["code"])
            if kind_slug is None:
                self.result.skipped += 1
                continue
            kind, slug = kind_slug
            target = plan.goals if kind == "goal" else plan.roles
            item = (self.goals if kind == "goal" else self.roles)[slug]
            if item not in target:
                target.append(item)

    def provenance(self, record: dict, plan: Planned) -> None:
        """Sources and the last-verified date, from HSDS ``metadata``."""
        for index, entry in enumerate(record.get("metadata") or []):
            where = f"{plan.path}.metadata[{index}]"
            if not isinstance(entry, dict):
                continue
            action = entry.get("last_action_type")
            when = str(entry.get("last_action_date") or "")
            if action == mapping.VERIFIED_ACTION:
                moment = parse_datetime(when) or (
                    datetime.combine(parse_date(when), time.min) if parse_date(when) else None
                )
                if moment is None:
                    self.error(where, plan.label, "last_action_date", _("Expected a date."))
                    continue
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                plan.instance.last_verified_at = moment
            elif action == mapping.SOURCE_ACTION:
                self.source_from(entry, where, plan)
            else:
                self.result.skipped += 1

    def source_from(self, entry: dict, where: str, plan: Planned) -> None:
        url = str(entry.get("replacement_value") or "").strip()
        seen_on = parse_date(str(entry.get("last_action_date") or "")[:10])
        supports = [f.strip() for f in str(entry.get("field_name") or "").split(",") if f.strip()]
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            self.error(where, plan.label, "replacement_value", _("A source needs its web address."))
            return
        if seen_on is None:
            self.error(where, plan.label, "last_action_date", _("Expected a date."))
            return
        unknown = set(supports) - set(Fact.values)
        if unknown:
            self.error(
                where,
                plan.label,
                "field_name",
                _("Choose from: %(facts)s.") % {"facts": ", ".join(Fact.values)},
            )
            return
        plan.sources.append(
            SourceRecord(
                url=url,
                publisher=str(entry.get("updated_by") or "")[:200],
                seen_on=seen_on,
                supports=supports,
            )
        )

    def check(self, instance, path: str, label: str, names: dict, place_path: str) -> None:
        """Our model's own rules, reported under the HSDS field names."""
        try:
            # The organization of a new service is checked as a record of its own.
            instance.full_clean(exclude=["slug", "organization"])
        except ValidationError as exc:
            for ours, messages in exc.message_dict.items():
                if ours in PLACE_FIELDS or ours in ("latitude", "longitude"):
                    where = f"{place_path}.{PLACE_FIELDS.get(ours, ours)}"
                else:
                    where = names.get(ours, ours if ours != "__all__" else _("record"))
                for message in messages:
                    self.error(path, label, where, message)

    # --- records ---

    def organization(self, record, index: int) -> Planned | None:
        path = f"organizations[{index}]"
        if not isinstance(record, dict):
            self.error(path, "?", _("record"), _("Expected an object."))
            return None
        if "_existing_organization_services" in record:
            return self.loose_services(record["_existing_organization_services"])
        label = str(record.get("name") or record.get("id") or "?")
        org_id = self.new_id(record, Organization, path, label)
        name = self.string(record, "name", path, label)
        text = self.string(record, "description", path, label)
        if not text:
            self.error(path, label, "description", _("Required."))
        summary, description = mapping.split_description(text)
        year = record.get("year_incorporated")
        if year is not None and (not _finite(year) or int(year) != year):
            self.error(path, label, "year_incorporated", _("Expected a year."))
            year = None
        locations = [loc for loc in record.get("locations") or [] if isinstance(loc, dict)]
        org = Organization(
            name=name,
            summary=summary,
            description=description,
            website=self.string(record, "website", path, label),
            email=self.string(record, "email", path, label),
            founded_year=int(year) if year is not None else None,
            status=Status.PENDING,
            source=self.source,
            **self.place(locations[0] if locations else None, path, label),
        )
        if org_id:
            org.uuid = org_id
        slug = next(
            (
                str(i.get("identifier") or "")
                for i in record.get("organization_identifiers") or []
                if isinstance(i, dict) and i.get("identifier_type") == "MPDB Directory slug"
            ),
            "",
        )
        plan = Planned(org, path, label, slug or name)
        self.check(org, path, label, ORGANIZATION_FIELDS, "locations[0].addresses[0]")
        self.taxonomy(record, plan)
        self.provenance(record, plan)
        services = record.get("services") or []
        if not isinstance(services, list):
            self.error(path, label, "services", _("Expected a list."))
            services = []
        for position, service in enumerate(services):
            planned = self.service(service, f"{path}.services[{position}]", org)
            if planned:
                plan.services.append(planned)
        return plan

    def loose_services(self, services: list) -> Planned | None:
        """Top-level services of organizations already in the directory."""
        plans = []
        for index, service in enumerate(services):
            path = f"services[{index}]"
            org = None
            if isinstance(service, dict):
                try:
                    org_id = uuid.UUID(str(service.get("organization_id")))
                    org = (
                        Organization.objects.exclude(status=Status.REJECTED)
                        .filter(uuid=org_id)
                        .first()
                    )
                except ValueError:
                    pass
            if org is None:
                label = str(service.get("name") if isinstance(service, dict) else "?")
                self.error(
                    path,
                    label,
                    "organization_id",
                    _("Not an organization of this package or of the directory."),
                )
                continue
            planned = self.service(service, path, org)
            if planned:
                plans.append(planned)
        return Planned(None, "services", "", "", services=plans)

    def service(self, record, path: str, org) -> Planned | None:
        if not isinstance(record, dict):
            self.error(path, "?", _("record"), _("Expected an object."))
            return None
        label = str(record.get("name") or record.get("id") or "?")
        service_id = self.new_id(record, Initiative, path, label)
        text = self.string(record, "description", path, label)
        if not text:
            self.error(path, label, "description", _("Required (it becomes the summary)."))
        summary, description = mapping.split_description(text)
        sals = [s for s in record.get("service_at_locations") or [] if isinstance(s, dict)]
        place = self.place(sals[0].get("location") if sals else None, path, label)
        areas = [a for a in record.get("service_areas") or [] if isinstance(a, dict)]
        scope = next((a.get("extent") for a in areas if a.get("extent") in Scope.values), None)
        initiative = Initiative(
            organization=org,
            title=self.string(record, "name", path, label),
            summary=summary,
            description=description,
            website=self.string(record, "url", path, label),
            get_involved=self.string(record, "application_process", path, label),
            scope=scope or Scope.LOCAL,
            status=Status.PENDING,
            source=self.source,
            **place,
        )
        if service_id:
            initiative.uuid = service_id
        plan = Planned(initiative, path, label, initiative.title)
        self.check(
            initiative,
            path,
            label,
            SERVICE_FIELDS,
            "service_at_locations[0].location.addresses[0]",
        )
        for index, language in enumerate(record.get("languages") or []):
            code = str(language.get("code") or "").lower() if isinstance(language, dict) else ""
            if code in self.languages:
                plan.languages.append(self.languages[code])
            else:
                self.error(
                    f"{path}.languages[{index}]",
                    label,
                    "code",
                    _("“%(code)s” is not a language code we list (ISO 639-1).") % {"code": code},
                )
        self.taxonomy(record, plan)
        self.provenance(record, plan)
        for index, schedule in enumerate(record.get("schedules") or []):
            event = self.event(schedule, f"{path}.schedules[{index}]", initiative, place)
            if event is not None:
                plan.events.append(event)
        return plan

    def event(self, schedule, path: str, initiative, place: dict):
        """An HSDS schedule (one-off, as we export events) as an event of the initiative."""
        if not isinstance(schedule, dict):
            self.error(path, "?", _("record"), _("Expected an object."))
            return None
        label = str(schedule.get("description") or schedule.get("id") or "?")
        event_id = self.new_id(schedule, Event, path, label)
        day = parse_date(str(schedule.get("dtstart") or schedule.get("valid_from") or ""))
        last_day = parse_date(str(schedule.get("valid_to") or "")) or day
        offset = schedule.get("timezone")
        if day is None:
            self.error(path, label, "dtstart", _("Expected a date."))
            return None
        if not _finite(offset) or not -12 <= offset <= 14:
            self.error(path, label, "timezone", _("Expected the UTC offset in hours."))
            return None
        zone = dt_timezone(timedelta(hours=offset))
        opens, closes = schedule.get("opens_at"), schedule.get("closes_at")

        def at(date, clock):
            parsed = datetime.strptime(clock, "%H:%M").time() if clock else time.min
            return datetime.combine(date, parsed, tzinfo=zone)

        try:
            starts_at = at(day, opens)
            ends_at = at(last_day, closes) if closes or last_day != day else None
        except (TypeError, ValueError):
            self.error(path, label, "opens_at", _("Expected a time (HH:MM)."))
            return None
        mode = schedule.get("attending_type") or Event.Mode.IN_PERSON
        link = self.string(schedule, "schedule_link", path, label)
        event = Event(
            organization=initiative.organization,
            initiative=initiative,
            title=self.string(schedule, "description", path, label),
            summary=self.string(schedule, "notes", path, label),
            starts_at=starts_at,
            ends_at=ends_at,
            all_day=not opens,
            mode=mode,
            status=Status.PENDING,
            source=self.source,
            registration_url=link if mode != Event.Mode.IN_PERSON else "",
            **place,
        )
        if event_id:
            event.uuid = event_id
        try:
            event.full_clean(exclude=["slug", "organization", "initiative", "timezone"])
        except ValidationError as exc:
            for ours, messages in exc.message_dict.items():
                for message in messages:
                    self.error(path, label, EVENT_FIELDS.get(ours, ours), message)
            return None
        return Planned(event, path, label, event.title)

    # --- duplicates ---

    @staticmethod
    def _host(url: str) -> str:
        return (urlsplit(url).hostname or "").removeprefix("www.")

    def duplicate_of(self, instance):
        """An existing listing with two of: the same name, website (domain) or place."""
        model = type(instance)
        name_field = "name" if model is Organization else "title"
        name = " ".join(getattr(instance, name_field).lower().split())
        host = self._host(instance.website)
        candidates = model.objects.exclude(status=Status.REJECTED)
        if instance.pk:
            candidates = candidates.exclude(pk=instance.pk)
        query = {f"{name_field}__iexact": getattr(instance, name_field)}
        where = Q(**query)
        if host:
            where |= Q(website__icontains=host)
        if instance.postal_code:
            where |= Q(postal_code=instance.postal_code)
        for other in candidates.filter(where)[:200]:
            same_name = " ".join(getattr(other, name_field).lower().split()) == name
            same_site = bool(host) and self._host(other.website) == host
            same_place = bool(instance.postal_code) and other.postal_code == instance.postal_code
            if not same_place and instance.city and instance.state:
                same_place = (other.city.lower(), other.state) == (
                    instance.city.lower(),
                    instance.state,
                )
            if same_name + same_site + same_place >= 2:
                return other
        return None

    # --- the whole package ---

    def run(self, data) -> ImportResult:
        data = copy.deepcopy(data)  # nesting top-level services changes it
        plans = []
        for index, record in enumerate(organizations_in(data)):
            plan = self.organization(record, index)
            if plan is not None:
                plans.append(plan)
        if self.result.errors:
            return self.result
        for plan in plans:
            for item in ([plan] if plan.instance is not None else []) + plan.services:
                item.duplicate_of = self.duplicate_of(item.instance)
        with transaction.atomic():
            for plan in plans:
                if plan.instance is not None:
                    self.save(plan)
                for service in plan.services:
                    if plan.instance is not None:
                        service.instance.organization = plan.instance
                    self.save(service)
                    for event in service.events:
                        event.instance.organization = service.instance.organization
                        event.instance.initiative = service.instance
                        self.save(event)
        return self.result

    def save(self, plan: Planned) -> None:
        instance = plan.instance
        # The history's reason holds 100 characters: who imported it gives way to the flag.
        flag = ""
        if plan.duplicate_of is not None:
            other = plan.duplicate_of
            flag = f"; possible duplicate of {other.slug}"[:100]
            self.result.duplicates.append((instance, other))
        reason = f"HSDS import by {self.by}"[: 100 - len(flag)] + flag

        def save_m2m():
            for name in ("roles", "goals", "languages"):
                values = getattr(plan, name)
                if values:
                    getattr(instance, name).set(values)

        listing_save_new(instance, text=plan.slug_text, reason=reason, save_m2m=save_m2m)
        for source in plan.sources:
            setattr(source, type(instance).__name__.lower(), instance)
            source.save()
        self.result.created.append(instance)


def import_hsds(data, *, by: str, source: str = Source.IMPORT) -> ImportResult:
    """Check every record of an HSDS package (parsed JSON); import all of it, or nothing."""
    return Importer(by=by, source=source).run(data)


def read_package(raw: bytes, name: str = "") -> object:
    """A package file as data: JSON, or (``.zip``) the tabular form, a zip of HSDS CSV files."""
    if name.lower().endswith(".zip") or raw[:2] == b"PK":
        from directory.hsds.tabular import read_zip

        return read_zip(raw)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PackageError(_("The file is not UTF-8 text.")) from None
    except ValueError as exc:
        raise PackageError(_("The file is not JSON: %(problem)s") % {"problem": exc}) from None
