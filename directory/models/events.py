"""Events: dated happenings of an organization, moderated like any listing."""

from datetime import timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.db import models
from django.templatetags.tz import do_timezone
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models.history import ListingHistory
from directory.models.listings import Initiative, Listing, Organization
from directory.querysets import ListingQuerySet
from goals.models import Goal
from roles.models import Role

US_TIMEZONES = sorted(
    tz
    for tz in available_timezones()
    if tz.startswith(("America/", "Pacific/Honolulu", "Pacific/Guam", "Pacific/Pago_Pago"))
)


# Without an end, an all-day event lasts its day and others two hours.
ALL_DAY_LENGTH = timedelta(days=1)
UNTIMED_LENGTH = timedelta(hours=2)


class EventQuerySet(ListingQuerySet):
    search_fields = (("title", 8), ("summary", 4), ("description", 1), ("organization__name", 1))

    def published_q(self, prefix: str = "") -> models.Q:
        """Published events of published organizations (and of published initiatives, if any)."""
        listing = super().published_q
        return (
            listing(prefix)
            & listing(f"{prefix}organization__")
            & (models.Q(**{f"{prefix}initiative__isnull": True}) | listing(f"{prefix}initiative__"))
        )

    def upcoming(self, now=None):
        """Not over yet (``Event.over_at``)."""
        now = now or timezone.now()
        return self.filter(
            models.Q(ends_at__gte=now)
            | models.Q(ends_at__isnull=True, all_day=True, starts_at__gte=now - ALL_DAY_LENGTH)
            | models.Q(ends_at__isnull=True, all_day=False, starts_at__gte=now - UNTIMED_LENGTH)
        )

    def for_list(self):
        return self.select_related("organization", "initiative").prefetch_related(
            models.Prefetch("roles", queryset=Role.objects.with_label()),
            "goals",
            "languages",
        )


class EventManager(models.Manager.from_queryset(EventQuerySet)):
    def get_by_natural_key(self, slug: str) -> "Event":
        return self.get(slug=slug)


class Event(Listing):
    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("In person and online")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="events")
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    all_day = models.BooleanField(default=False)
    timezone = models.CharField(
        max_length=40,
        default="America/New_York",
        help_text=_("The local time zone of the event (set from the ZIP code when given)."),
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    join_url = models.URLField(_("link to join online"), blank=True, max_length=500)
    registration_url = models.URLField(_("registration link"), blank=True, max_length=500)
    cost = models.CharField(
        max_length=120, blank=True, help_text=_("e.g. “Free” or “$10, free for students”.")
    )
    accessibility = models.TextField(_("accessibility notes"), blank=True, max_length=2000)
    roles = models.ManyToManyField(Role, blank=True, related_name="events")
    goals = models.ManyToManyField(Goal, blank=True, related_name="events")

    languages = models.ManyToManyField(
        "directory.Language",
        blank=True,
        related_name="events",
        help_text="Languages the event is held in or interpreted into.",
    )
    #: When it happens, and what attending takes: listed in this order by the event form, the
    #: curators' history and the API.
    WHEN_FIELDS = ("starts_at", "ends_at", "all_day", "timezone")
    ATTENDING_FIELDS = ("join_url", "registration_url", "cost", "accessibility")

    history = ListingHistory(
        excluded_fields=["search_vector"], m2m_fields=[roles, goals, languages]
    )

    objects = EventManager()

    class Meta(Listing.Meta):
        ordering = ["starts_at", "title"]
        constraints = [
            *Listing.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gte=models.F("starts_at")),
                name="event_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=["in_person", "online", "hybrid"]),
                name="event_mode_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="event_status_starts"),
            models.Index(fields=["status", "ends_at"], name="event_status_ends"),
            models.Index(fields=["status", "state"], name="event_status_state"),
            models.Index(fields=["status", "mode"], name="event_status_mode"),
            models.Index(fields=["latitude", "longitude"], name="event_lat_lon"),
            models.Index(fields=["updated_at", "uuid"], name="event_updated"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("directory:event-detail", args=[self.slug])

    @property
    def name(self) -> str:
        return self.title

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (KeyError, ValueError):
            return ZoneInfo("UTC")

    @property
    def over_at(self):
        """When it stops being upcoming (``EventQuerySet.upcoming`` filters by the same rule)."""
        if self.ends_at is not None:
            return self.ends_at
        return self.starts_at + (ALL_DAY_LENGTH if self.all_day else UNTIMED_LENGTH)

    @property
    def local_start(self):
        """The start in the event's own time zone (templates show it as is, not in UTC)."""
        return do_timezone(self.starts_at, self.tz)

    @property
    def local_end(self):
        return do_timezone(self.ends_at, self.tz) if self.ends_at else None

    @property
    def is_past(self) -> bool:
        """Over: no longer ``upcoming`` (the same rule, ``over_at``)."""
        return self.over_at < timezone.now()

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.timezone not in available_timezones():
            errors["timezone"] = _("Choose a time zone from the list.")
        if self.ends_at and self.starts_at and self.ends_at < self.starts_at:
            errors["ends_at"] = _("The event ends before it starts.")
        if self.mode in (self.Mode.IN_PERSON, self.Mode.HYBRID) and not self.postal_code:
            errors["postal_code"] = _("An in-person event needs the ZIP code of its venue.")
        if self.mode in (self.Mode.ONLINE, self.Mode.HYBRID) and not (
            self.join_url or self.registration_url
        ):
            errors["join_url"] = _("An online event needs a link to join or to register.")
        if (
            self.initiative_id
            and self.organization_id
            and self.initiative.organization_id != self.organization_id
        ):
            errors["initiative"] = _("Choose an initiative of the same organization.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        if self.postal_code and not self.pk:
            from directory.search.geo import zip_timezone

            # Display in the venue's zone. The instant is unchanged: aware datetimes carry it,
            # and EventForm reads typed times in this same zone.
            self.timezone = zip_timezone(self.postal_code) or self.timezone
        if self.mode == self.Mode.ONLINE and self.scope == "local" and not self.postal_code:
            self.scope = "online"
        super().save(*args, **kwargs)


def _connect_touch():
    from directory.models.listings import touch_on_m2m_change

    for field in (Event.roles, Event.goals, Event.languages):
        models.signals.m2m_changed.connect(
            touch_on_m2m_change, sender=field.through, dispatch_uid=f"touch-{field.through}"
        )


_connect_touch()
