"""Import an HSDS 3.0 data package: organizations with their services, for curators to review.

The package is read by ``package.py`` (JSON, or ``tabular.py`` for a zip of CSV files) and each
value checked by ``checks.py``; this module builds the records and lands them.

Everything is checked first; any problem, and nothing is saved (one transaction). Problems are
reported by record and HSDS field. Everything lands as *pending* for curators; a record that
looks like a listing we already have (two of: same name, same website, same place) is flagged,
in the result and in the new listing's history. Sources (HSDS ``metadata`` of type ``source``)
are kept as the listing's sources. docs/hsds.md gives the mapping.
"""

import copy
import uuid
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from directory.hsds import mapping
from directory.hsds.checks import (
    EVENT_FIELDS,
    ORGANIZATION_FIELDS,
    SERVICE_FIELDS,
    Checker,
    ImportResult,
    Planned,
    finite,
)
from directory.hsds.package import organizations_in
from directory.models import Event, Initiative, Organization, Scope, Source, Status
from directory.services.listings import listing_save_new


class Importer(Checker):
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
        if year is not None and (not finite(year) or int(year) != year):
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
        if not finite(offset) or not -12 <= offset <= 14:
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
