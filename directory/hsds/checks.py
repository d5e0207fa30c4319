"""Checking the records of an HSDS package: each value read, and our models' own rules, with any
problem reported by record and HSDS field. ``importer.Importer`` builds on it."""

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from directory.hsds import mapping
from directory.models import Fact, Language, Source, SourceRecord
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


def finite(value) -> bool:
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


class Checker:
    """Reads the values of HSDS records, reporting every problem in ``result.errors``."""

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
            if value is not None and not finite(value):
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
