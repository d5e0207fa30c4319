"""The research set: real organizations and initiatives with their sources (fixtures/research/).

Each ``*.json`` file there is a batch in the format ``fixtures/research/README.md`` describes.
``problems()`` checks a set against the bar in ``docs/data.md`` without touching the database;
``load()`` adds what is not there yet (create-only, like the other fixtures: a slug already in
the database is left as curators have it, and so is a source already recorded for a listing).
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings
from simple_history.utils import bulk_create_with_history

from directory.models import (
    ClassifiedBy,
    Fact,
    Initiative,
    Organization,
    Scope,
    Source,
    SourceRecord,
    Status,
)
from directory.models.sources import verified_at
from directory.search.geo import US_STATES, lookup_city, lookup_zip
from goals.models import Goal
from roles.models import Role

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ZIP_RE = re.compile(r"^[0-9]{5}$")
MAX_SUMMARY = 280
#: facts that need two sources from different publishers
DOUBLE_SOURCED = {"place": "city", "founding_year": "founded_year"}


def research_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "research"


def research_paths(directory: Path | None = None) -> list[Path]:
    return sorted((directory or research_dir()).glob("*.json"))


@dataclass
class ResearchSet:
    organizations: list[dict] = field(default_factory=list)
    initiatives: list[dict] = field(default_factory=list)
    confirmations: list[dict] = field(default_factory=list)

    @classmethod
    def read(cls, paths: list[Path] | None = None) -> "ResearchSet":
        found = cls()
        for path in research_paths() if paths is None else paths:
            data = json.loads(path.read_text(encoding="utf-8"))
            for key in ("organizations", "initiatives", "confirmations"):
                for record in data.get(key, []):
                    getattr(found, key).append({**record, "_file": path.name})
        return found


def _fixture_slugs(name: str, model: str | None = None) -> set[str]:
    path = Path(settings.BASE_DIR) / "fixtures" / name
    return {
        item["fields"]["slug"]
        for item in json.loads(path.read_text(encoding="utf-8"))
        if model is None or item["model"] == model
    }


def _source_problems(where: str, record: dict, backing: list[dict] = ()) -> list[str]:
    """``backing``: more sources that count for a double-sourced fact (an initiative's place
    is sourced by its organization's pages too when it is the organization's place)."""
    out = []
    sources = record.get("sources") or []
    if not sources:
        out.append(f"{where}: no source")
    for n, source in enumerate(sources, 1):
        url = source.get("url") or ""
        if not url.startswith(("https://", "http://")):
            out.append(f"{where}: source {n} has no web address")
        try:
            date.fromisoformat(source.get("seen") or "")
        except ValueError:
            out.append(f"{where}: source {n} has no date seen (YYYY-MM-DD)")
        unknown = set(source.get("supports") or []) - set(Fact.values)
        if unknown or not source.get("supports"):
            out.append(f"{where}: source {n} supports unknown or no facts {sorted(unknown)}")
    for fact, key in DOUBLE_SOURCED.items():
        if record.get(key):
            publishers = {
                (s.get("publisher") or s.get("url", "")).strip().lower()
                for s in [*sources, *backing]
                if fact in (s.get("supports") or [])
            }
            if len(publishers) < 2:
                out.append(f"{where}: {key} needs two sources from different publishers")
    return out


def _listing_problems(
    where: str, record: dict, roles: set, goals: set, backing: list[dict] = ()
) -> list[str]:
    out = []
    if not SLUG_RE.fullmatch(record.get("slug") or ""):
        out.append(f"{where}: bad slug")
    summary = (record.get("summary") or "").strip()
    if not summary or len(summary) > MAX_SUMMARY:
        out.append(f"{where}: summary must be 1–{MAX_SUMMARY} characters")
    if record.get("state") and record["state"] not in US_STATES:
        out.append(f"{where}: unknown state {record['state']!r}")
    if record.get("city") and not record.get("state"):
        out.append(f"{where}: a city needs its state")
    postal_code = record.get("postal_code") or ""
    if postal_code and (not ZIP_RE.fullmatch(postal_code) or lookup_zip(postal_code) is None):
        out.append(f"{where}: unknown ZIP code {postal_code!r}")
    if record.get("scope", "local") not in Scope.values:
        out.append(f"{where}: unknown scope {record.get('scope')!r}")
    for name, known in (("roles", roles), ("goals", goals)):
        values = record.get(name) or []
        if not 1 <= len(values) <= 3 or set(values) - known:
            out.append(f"{where}: {name} must be 1–3 known slugs, not {values}")
    website = record.get("website") or ""
    if website and not website.startswith(("https://", "http://")):
        out.append(f"{where}: website is not a web address")
    return out + _source_problems(where, record, backing)


def problems(found: ResearchSet | None = None) -> list[str]:
    """Everything in the set that falls short of the bar; an empty list when it all holds."""
    found = found or ResearchSet.read()
    roles = _fixture_slugs("roles.json", "roles.role")
    goals = _fixture_slugs("goals.json")
    paper = _fixture_slugs("organizations.json")
    paper_orgs = _fixture_slugs("organizations.json", "directory.organization")
    out, seen = [], set(paper)
    org_slugs = paper_orgs | {r.get("slug") for r in found.organizations}
    networks = paper_orgs | {r.get("slug") for r in found.organizations if r.get("is_network")}
    by_slug = {r.get("slug"): r for r in found.organizations}
    for kind, records in (("organization", found.organizations), ("initiative", found.initiatives)):
        for record in records:
            where = f"{record['_file']}: {kind} {record.get('slug')!r}"
            owner = by_slug.get(record.get("organization")) or {}
            same_place = (owner.get("city"), owner.get("state")) == (
                record.get("city"),
                record.get("state"),
            )
            backing = owner.get("sources", []) if kind == "initiative" and same_place else []
            if record.get("slug") in seen:
                out.append(f"{where}: slug used twice")
            seen.add(record.get("slug"))
            if not (record.get("name") if kind == "organization" else record.get("title")):
                out.append(f"{where}: no {'name' if kind == 'organization' else 'title'}")
            out += _listing_problems(where, record, roles, goals, backing)
            if kind == "initiative" and record.get("organization") not in org_slugs:
                out.append(f"{where}: unknown organization {record.get('organization')!r}")
            for network in record.get("networks") or []:
                if network not in networks:
                    out.append(f"{where}: {network!r} is not a network in the set")
    for record in found.confirmations:
        where = f"{record['_file']}: confirmation of {record.get('slug')!r}"
        if record.get("slug") not in paper:
            out.append(f"{where}: not a listing of fixtures/organizations.json")
        out += _source_problems(where, record)
    return out


def _moment(record: dict) -> datetime:
    """When the listing was last verified: the newest date one of its sources was seen."""
    newest = max(date.fromisoformat(s["seen"]) for s in record["sources"])
    return verified_at(newest)


def _place(listing, record: dict) -> None:
    listing.postal_code = record.get("postal_code") or ""
    listing.city = record.get("city") or ""
    listing.state = record.get("state") or ""
    info = lookup_zip(listing.postal_code) if listing.postal_code else None
    if info is None and listing.city:
        info = lookup_city(listing.city, listing.state)
    if info is not None:
        listing.fill_location_from(info)


def _add_sources(listing, sources: list[dict]) -> int:
    """Record the sources the listing does not have yet (by address); returns how many."""
    known = set(SourceRecord.objects.of(listing).values_list("url", flat=True))
    new = _source_rows(listing, sources, known)
    bulk_create_with_history(new, SourceRecord)
    return len(new)


def _source_rows(listing, sources: list[dict], known: set[str]) -> list[SourceRecord]:
    """The listing's sources whose address is not in ``known`` (which gains them), unsaved."""
    new = []
    for source in sources:
        if source["url"] in known:
            continue
        new.append(
            SourceRecord(
                **{type(listing)._meta.model_name: listing},
                url=source["url"],
                title=(source.get("title") or "")[:300],
                publisher=(source.get("publisher") or "")[:200],
                seen_on=date.fromisoformat(source["seen"]),
                supports=[fact for fact in Fact.values if fact in source.get("supports", [])],
            )
        )
        known.add(source["url"])
    return new


def _new_listing(model, record: dict, **fields):
    """The record as a new published listing, saved (its own row only: no links, sources or
    history yet; ``_complete`` adds them for a whole batch)."""
    moment = _moment(record)
    listing = model(
        slug=record["slug"],
        summary=record["summary"].strip(),
        website=record.get("website") or "",
        scope=record.get("scope") or Scope.LOCAL,
        status=Status.PUBLISHED,
        source=Source.CURATOR,
        classified_by=ClassifiedBy.CURATOR,
        published_at=moment,
        last_verified_at=moment,
        created_at=moment,
        **fields,
    )
    _place(listing, record)
    listing.skip_history_when_saving = True  # recorded once whole, links included (_complete)
    listing.save()
    del listing.skip_history_when_saving
    return listing


def _complete(model, batch: list[tuple]) -> None:
    """For new listings and their records: their roles and goals, their history (one record
    each, links included, as one saved whole would have) and their sources, in a few
    statements for the whole batch.

    Saving each listing's links and history one by one (``roles.set``, then a save that
    records the history and django-simple-history's copy of every link) took about 70 ms a
    listing: a thousand listings, most of a minute of ``manage.py seed``, which ``make run``,
    ``make test`` and CI run again and again."""
    if not batch:
        return
    own = f"{model._meta.model_name}_id"
    terms = {
        "roles": (dict(Role.objects.values_list("slug", "pk")), "role_id"),
        "goals": (dict(Goal.objects.values_list("slug", "pk")), "goal_id"),
    }
    links = {}
    for name, (by_slug, other) in terms.items():
        through = getattr(model, name).through
        links[name] = through.objects.bulk_create(
            through(**{own: listing.pk, other: by_slug[slug]})
            for listing, record in batch
            for slug in dict.fromkeys(record[name])  # in order, once each
            if slug in by_slug
        )
    for listing, record in batch:
        listing._change_reason = f"Seeded from fixtures/research/{record['_file']}"
    records = model.history.bulk_history_create([listing for listing, _record in batch]) or []
    record_of = {history.id: history for history in records}  # the listing's id: its record
    historical = model.history.model
    for name, (_by_slug, other) in terms.items():
        copy = getattr(historical, name).model  # django-simple-history's table of this link
        copy.objects.bulk_create(
            copy(
                id=link.pk,
                **{own: getattr(link, own), other: getattr(link, other)},
                history=record_of[getattr(link, own)],
            )
            for link in links[name]
        )
    sources = []
    for listing, record in batch:
        sources += _source_rows(listing, record["sources"], set())
    bulk_create_with_history(sources, SourceRecord)


def _fill_blanks(listing, record: dict) -> None:
    """A confirmed website, place or founding year fills a blank; nothing is overwritten."""
    changed = False
    for key in ("website", "founded_year"):
        if record.get(key) and hasattr(listing, key) and not getattr(listing, key):
            setattr(listing, key, record[key])
            changed = True
    if record.get("state") and not listing.state:
        _place(listing, record)
        changed = True
    if changed:
        listing._change_reason = f"Confirmed from fixtures/research/{record['_file']}"
        listing.save()


@dataclass
class LoadResult:
    created: int = 0
    kept: int = 0
    sources_added: int = 0


def _add_new(model, records: list[dict], result: LoadResult, fields) -> None:
    """Each record whose slug is not in the database yet, as a new listing (``fields(record)``:
    its model's own fields); the others are kept as they are."""
    existing = set(model.objects.values_list("slug", flat=True))
    batch = []
    for record in records:
        if record["slug"] in existing:
            result.kept += 1
            continue
        batch.append((_new_listing(model, record, **fields(record)), record))
        result.created += 1
    _complete(model, batch)


@transaction.atomic
@override_settings(MPDB_TOUCH_ON_M2M=False)  # new rows: nothing to tell mirrors about twice
def load(found: ResearchSet | None = None) -> LoadResult:
    """Add the set's listings that are not in the database yet (and their sources)."""
    found = found or ResearchSet.read()
    result = LoadResult()
    _add_new(
        Organization,
        found.organizations,
        result,
        lambda record: {
            "name": record["name"].strip(),
            "founded_year": record.get("founded_year"),
            "is_network": bool(record.get("is_network")),
        },
    )
    by_slug = Organization.objects.in_bulk(field_name="slug")
    for record in found.organizations:
        wanted = [by_slug[s] for s in record.get("networks") or [] if s in by_slug]
        organization = by_slug[record["slug"]]
        missing = [n for n in wanted if not organization.networks.filter(pk=n.pk).exists()]
        if missing:
            organization.networks.add(*missing)
    _add_new(
        Initiative,
        found.initiatives,
        result,
        lambda record: {
            "title": record["title"].strip(),
            "organization": by_slug[record["organization"]],
            "welcomes_newcomers": bool(record.get("welcomes_newcomers")),
        },
    )
    for record in found.confirmations:
        listing = (
            Organization.objects.filter(slug=record["slug"]).first()
            or Initiative.objects.filter(slug=record["slug"]).first()
        )
        if listing is not None:
            _fill_blanks(listing, record)
            result.sources_added += _add_sources(listing, record["sources"])
    return result
