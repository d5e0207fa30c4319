"""Where a listing's facts were seen: the sources behind every organization, initiative and event.

A source is a public page that was actually read and states the facts it is marked as
supporting (``supports``). ``docs/data.md`` gives the bar: a place and a founding year each need
two sources from different publishers; a listing's ``last_verified_at`` is the newest date one
of its sources was seen.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.models.events import Event
from directory.models.kinds import LISTING_TYPES
from directory.models.listings import Initiative, Organization


class Fact(models.TextChoices):
    """What a source can support, in the order pages show them."""

    NAME = "name", _("name")
    WEBSITE = "website", _("website")
    PLACE = "place", _("place")
    FOUNDING_YEAR = "founding_year", _("founding year")
    PROGRAMS = "programs", _("programs")
    ROLES = "roles", _("roles")


#: the listing kinds a source can belong to: the name of its link column -> model
OWNERS = LISTING_TYPES


class SourceRecordQuerySet(models.QuerySet):
    def of(self, listing) -> "SourceRecordQuerySet":
        return self.filter(**{owner_field(listing): listing})


def verified_at(day) -> datetime:
    """The moment a listing counts as verified when a source was read on ``day``: its start, UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def owner_field(listing) -> str:
    """The link column of a source that points at ``listing``'s kind."""
    for field, model in OWNERS.items():
        if isinstance(listing, model):
            return field
    raise TypeError(f"{type(listing).__name__} has no sources")


class SourceRecord(models.Model):
    """One public page and the facts of one listing it supports."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="sources"
    )
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.CASCADE, related_name="sources"
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="sources"
    )
    url = models.URLField(_("address (URL)"), max_length=500)
    title = models.CharField(_("page title"), max_length=300, blank=True)
    publisher = models.CharField(
        _("publisher"), max_length=200, blank=True, help_text=_("Who runs the page's site.")
    )
    seen_on = models.DateField(
        _("seen on"), default=timezone.localdate, help_text=_("The date the page was read.")
    )
    supports = models.JSONField(
        _("facts it supports"),
        default=list,
        blank=True,
        help_text=_("Which of the listing's facts this page states."),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = SourceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-seen_on", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        organization__isnull=False, initiative__isnull=True, event__isnull=True
                    )
                    | models.Q(
                        organization__isnull=True, initiative__isnull=False, event__isnull=True
                    )
                    | models.Q(
                        organization__isnull=True, initiative__isnull=True, event__isnull=False
                    )
                ),
                name="sourcerecord_one_listing",
            ),
        ]

    def __str__(self) -> str:
        return self.publisher or self.title or self.url

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self.touch_listing()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.touch_listing()
        return result

    def touch_listing(self) -> None:
        """A listing's sources are part of it: the change feed and mirrors see the change."""
        listing = self.listing
        if listing is not None and getattr(settings, "MPDB_TOUCH_ON_M2M", True):
            type(listing).objects.filter(pk=listing.pk).update(updated_at=timezone.now())

    @property
    def listing(self):
        return self.organization or self.initiative or self.event

    @property
    def supported_facts(self) -> list[str]:
        """The facts it supports, as labels in the current language and the usual order."""
        return [label for value, label in Fact.choices if value in (self.supports or [])]

    def clean(self) -> None:
        super().clean()
        unknown = set(self.supports or []) - set(Fact.values)
        if not isinstance(self.supports, list) or unknown:
            raise ValidationError(
                {"supports": _("Choose from: %(facts)s.") % {"facts": ", ".join(Fact.values)}}
            )
        owners = [field for field in OWNERS if getattr(self, f"{field}_id")]
        if len(owners) != 1:
            raise ValidationError(_("A source belongs to exactly one listing."))
