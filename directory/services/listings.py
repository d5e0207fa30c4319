"""Writes that touch more than one model: keyword-only, typed, one transaction each."""

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from directory.models import Initiative, Organization, Scope, Source, Status

MAX_SLUG_ATTEMPTS = 50


def unique_slug(model, text: str) -> str:
    """A slug from ``text`` that no row of ``model`` uses yet (``name``, ``name-2``, …)."""
    base = (slugify(text) or "listing")[:100].strip("-") or "listing"
    taken = set(model.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    for n in range(2, len(taken) + 3):
        candidate = f"{base}-{n}"
        if candidate not in taken:
            return candidate
    raise RuntimeError("unreachable")  # pragma: no cover


def _save_with_unique_slug(instance, text: str, reason: str) -> None:
    """Save a new listing; if another writer took the slug meanwhile, pick the next one."""
    for _ in range(MAX_SLUG_ATTEMPTS):
        instance.slug = unique_slug(type(instance), text)
        instance._change_reason = reason
        try:
            with transaction.atomic():
                instance.save()
            return
        except IntegrityError:
            if type(instance).objects.filter(slug=instance.slug).exists():
                continue
            raise
    raise IntegrityError("Could not find a free slug.")


def listing_save_new(instance, *, text: str, reason: str, save_m2m: Callable[[], None]) -> None:
    """Save a new listing, then its roles, goals, … (``save_m2m``), as *one* history row.

    Otherwise each many-to-many field set after the first save adds a row of its own.
    """
    _save_with_unique_slug(instance, text, reason)
    instance.skip_history_when_saving = True
    try:
        save_m2m()
    finally:
        del instance.skip_history_when_saving
    record = instance.history.order_by("-history_id").first()
    for field in (
        record._history_m2m_fields if record else ()
    ):  # what simple_history would have copied
        through, copies = field.remote_field.through, getattr(type(record), field.name).model
        rows = through.objects.filter(**{field.m2m_field_name(): instance})
        copies.objects.bulk_create(
            copies(
                history=record, **{f.attname: getattr(row, f.attname) for f in through._meta.fields}
            )
            for row in rows
        )


@transaction.atomic
def initiative_submit(*, by: str, organization: dict, data: dict) -> Initiative:
    """Create a *pending* initiative (and its organization if new) for curators to review.

    ``organization`` is either ``{"instance": <published Organization>}`` or the fields of a new
    one. ``by`` says who submitted it; it goes into the history.
    """
    reason = f"Submitted by {by}"
    org = organization.get("instance")
    if org is None:
        org = Organization(
            name=organization["name"],
            summary=organization["summary"],
            website=organization.get("website", ""),
            email=organization.get("email", ""),
            postal_code=organization.get("postal_code", ""),
            scope=organization.get("scope") or Scope.LOCAL,
            status=Status.PENDING,
            source=Source.PARTNER,
        )
        _save_with_unique_slug(org, org.name, reason)
    roles = data.pop("roles", [])
    goals = data.pop("goals", [])
    languages = data.pop("languages", [])
    initiative = Initiative(organization=org, status=Status.PENDING, source=Source.PARTNER, **data)

    def save_m2m():
        initiative.roles.set(roles)
        initiative.goals.set(goals)
        initiative.languages.set(languages)

    listing_save_new(initiative, text=initiative.title, reason=reason, save_m2m=save_m2m)
    return initiative
