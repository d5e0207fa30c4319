"""Organizations and their initiatives: what the directory lists."""

import re
import uuid
from functools import lru_cache

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from directory.models.history import ListingHistory
from directory.querysets import InitiativeQuerySet, OrganizationQuerySet, stale_since
from directory.search.geo import US_STATES, lookup_zip
from goals.models import Goal
from roles.models import Role

_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_PLACEHOLDER = "mpdb-slug"


@lru_cache(maxsize=32)
def _detail_parts(route: str, prefix: str, urlconf, language) -> tuple[str, str]:
    before, after = reverse(route, args=[_PLACEHOLDER], urlconf=urlconf).split(_PLACEHOLDER)
    return before, after


@receiver(setting_changed, dispatch_uid="detail-url-patterns")
def _forget_detail_parts(*, setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":  # as Django's own URL caches (tests' override_settings)
        _detail_parts.cache_clear()


def detail_url_parts(route: str) -> tuple[str, str]:
    """A detail page's path around its slug, e.g. ("/initiatives/", "/"), reversed once per
    route, script prefix, URLconf and language: each ``reverse`` costs about 60 µs, and a list
    of 20 cards has 40 links, an export one per row (SQL builds them itself)."""
    return _detail_parts(route, get_script_prefix(), get_urlconf(), get_language())


def detail_url(route: str, slug: str) -> str:
    """``reverse(route, args=[slug])`` for a detail page, from ``detail_url_parts``."""
    if not _SLUG.fullmatch(slug or ""):
        return reverse(route, args=[slug])  # as Django does (it raises NoReverseMatch)
    before, after = detail_url_parts(route)
    return before + slug + after


class Status(models.TextChoices):
    PENDING = "pending", _("Pending review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    ARCHIVED = "archived", _("Archived")


class Scope(models.TextChoices):
    LOCAL = "local", _("Local")
    STATE = "state", _("Statewide")
    REGIONAL = "regional", _("Regional")
    NATIONAL = "national", _("National")
    ONLINE = "online", _("Online")


class Source(models.TextChoices):
    PAPER = "paper", _("Named in the MPDB paper")
    SELF = "self", _("Self-registered")
    CURATOR = "curator", _("Added by a curator")
    IMPORT = "import", _("Imported")
    PARTNER = "partner", _("Submitted by a partner site")


class ClassifiedBy(models.TextChoices):
    """Who chose a listing's roles and goals."""

    PAPER = "paper", _("the MPDB paper")
    SELF = "self", _("the organization")
    CURATOR = "curator", _("our curators")


class Listing(models.Model):
    """What organizations and initiatives share: identity, place, taxonomy, lifecycle."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(unique=True, max_length=120)
    summary = models.CharField(max_length=280, help_text=_("One or two sentences."))
    description = models.TextField(blank=True, max_length=10000)
    website = models.URLField(blank=True, max_length=500)

    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True, choices=sorted(US_STATES.items()))
    postal_code = models.CharField(
        _("ZIP code"), max_length=5, blank=True, help_text=_("5-digit ZIP; fills in the place.")
    )
    county = models.CharField(max_length=100, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    scope = models.CharField(max_length=10, choices=Scope, default=Scope.LOCAL)

    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    source = models.CharField(max_length=10, choices=Source, default=Source.SELF)
    classified_by = models.CharField(
        _("roles and goals chosen by"),
        max_length=10,
        choices=ClassifiedBy,
        default=ClassifiedBy.SELF,
    )
    is_demo = models.BooleanField(
        _("example (demo) entry"),
        default=False,
        help_text=_("Made-up example data, labelled as such."),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    stale_notice_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("When members were last asked to confirm this listing."),
    )
    published_at = models.DateTimeField(null=True, blank=True)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # Kept up to date by a database trigger on PostgreSQL (see migrations); unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="%(class)s_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="%(class)s_longitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(state="") | models.Q(state__in=list(US_STATES)),
                name="%(class)s_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=list(Status.values)), name="%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(scope__in=list(Scope.values)), name="%(class)s_scope_valid"
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        if self.postal_code and (self.latitude is None or not self.city):
            info = lookup_zip(self.postal_code)
            if info is not None:
                self.fill_location_from(info)
        if self.status == Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)
        self._loaded_status = self.status

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The status as loaded, so that a save can tell what it changed (Organization.save,
        # webhooks' post_save: a curator's decision updates the status before saving).
        instance._loaded_status = instance.__dict__.get("status")
        return instance

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @property
    def place(self) -> str:
        return ", ".join(part for part in (self.city, self.state) if part)

    @property
    def is_stale(self) -> bool:
        """Due for re-verification (the rule of ``ListingQuerySet.stale``)."""
        return self.last_verified_at is None or self.last_verified_at < stale_since()

    def clean(self) -> None:
        super().clean()
        if self.postal_code:
            info = lookup_zip(self.postal_code)
            if info is None:
                raise ValidationError(
                    {
                        "postal_code": _("“%(zip)s” is not a known 5-digit U.S. ZIP code.")
                        % {"zip": self.postal_code}
                    }
                )
            self.fill_location_from(info)

    def fill_location_from(self, info) -> None:
        """Set city, state, county and coordinates from a ZIP look-up, keeping what was given."""
        self.city = self.city or info.city
        self.state = self.state or info.state
        self.county = self.county or info.county
        if self.latitude is None or self.longitude is None:
            self.latitude, self.longitude = info.latitude, info.longitude


class OrganizationManager(models.Manager.from_queryset(OrganizationQuerySet)):
    def get_by_natural_key(self, slug: str) -> "Organization":
        return self.get(slug=slug)


class Organization(Listing):
    name = models.CharField(max_length=200)
    founded_year = models.PositiveSmallIntegerField(
        _("year founded"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1600), MaxValueValidator(2100)],
        help_text=_("Only when two independent sources state it."),
    )
    email = models.EmailField(_("public contact e-mail"), blank=True)
    cross_partisan = models.BooleanField(
        _("works across the political divide"),
        default=False,
        help_text=_(
            "Self-declared: the organization deliberately brings together people of "
            "different political views."
        ),
    )
    is_network = models.BooleanField(
        _("network or coalition"),
        default=False,
        help_text=_("A coalition that other groups join."),
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="organizations")
    goals = models.ManyToManyField(Goal, blank=True, related_name="organizations")
    networks = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="members",
        limit_choices_to={"is_network": True},
        help_text=_("Coalitions and networks this organization belongs to."),
    )

    languages = models.ManyToManyField(
        "directory.Language",
        blank=True,
        related_name="organizations",
        help_text="Languages the organization serves people in.",
    )

    history = ListingHistory(
        excluded_fields=["search_vector"], m2m_fields=[roles, goals, languages]
    )

    objects = OrganizationManager()

    class Meta(Listing.Meta):
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "name"], name="org_status_name"),
            models.Index(fields=["status", "-published_at", "-id"], name="org_status_published"),
            # A state's organizations in the list's order (by name): a page of them, with a
            # goal or a role too, walks this index and stops at the page's end, not every
            # published organization's name (at 100,000 organizations, a state and a goal:
            # 10,901 rows for 21, 50 ms; with it 1 ms). Also serves (status, state) alone.
            models.Index(fields=["status", "state", "name", "id"], name="org_status_state_name"),
            models.Index(fields=["status", "scope"], name="org_status_scope"),
            models.Index(fields=["latitude", "longitude"], name="org_lat_lon"),
            models.Index(fields=["updated_at", "uuid"], name="org_updated"),
            models.Index(fields=["status", "cross_partisan"], name="org_status_cross_partisan"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        previous = getattr(self, "_loaded_status", None)
        super().save(*args, **kwargs)
        if previous is not None and previous != self.status:
            # Its initiatives and events appear or disappear with it: mark them changed so the
            # change feed, caches and mirrors notice.
            now = timezone.now()
            self.initiatives.update(updated_at=now)
            self.events.update(updated_at=now)
            # The stored visibility of its initiatives follows (``Initiative.visible``).
            self.initiatives.all().refresh_visible()

    def get_absolute_url(self) -> str:
        return detail_url("directory:organization-detail", self.slug)


class InitiativeManager(models.Manager.from_queryset(InitiativeQuerySet)):
    def get_by_natural_key(self, slug: str) -> "Initiative":
        return self.get(slug=slug)


class Initiative(Listing):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="initiatives"
    )
    title = models.CharField(max_length=200)
    roles = models.ManyToManyField(Role, blank=True, related_name="initiatives")
    goals = models.ManyToManyField(Goal, blank=True, related_name="initiatives")
    welcomes_newcomers = models.BooleanField(
        default=False, help_text=_("People with no experience can join in.")
    )
    get_involved = models.TextField(
        _("how to get involved"),
        blank=True,
        max_length=2000,
        help_text=_("What a newcomer can do, and how to start."),
    )
    get_involved_url = models.URLField(_("sign-up or volunteer link"), blank=True, max_length=500)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True, help_text=_("Leave blank if ongoing."))

    languages = models.ManyToManyField(
        "directory.Language",
        blank=True,
        related_name="initiatives",
        help_text="Languages the initiative serves people in.",
    )

    #: What the public sees, stored: published, and its organization too. Kept by ``save`` (and
    #: the organization's), so that no public read joins the organizations table.
    visible = models.BooleanField(default=False, editable=False)

    history = ListingHistory(
        excluded_fields=["search_vector", "visible"], m2m_fields=[roles, goals, languages]
    )

    objects = InitiativeManager()

    class Meta(Listing.Meta):
        ordering = ["-published_at", "title"]
        constraints = [
            *Listing.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="initiative_ends_after_start",
            ),
        ]
        indexes = [
            # Curators' queues (by status).
            models.Index(fields=["status", "-published_at", "-id"], name="ini_status_published"),
            # Public reads: partial indexes over the visible rows only, one per filter, each
            # in the list's default order (newest first), so a filtered page reads its rows
            # in order and stops.
            *(
                models.Index(
                    fields=[*column, "-published_at", "-id"],
                    condition=models.Q(visible=True),
                    name=f"ini_visible_{name}",
                )
                for name, column in (
                    ("newest", []),
                    ("state", ["state"]),
                    ("scope", ["scope"]),
                    ("newcomers", ["welcomes_newcomers"]),
                )
            ),
            models.Index(
                fields=["title", "id"], condition=models.Q(visible=True), name="ini_visible_title"
            ),
            # "Is it visible?" for the keys a link filter found (a goal, a role), from the
            # index alone: 9,420 keys took 35 ms from the table, 15 ms this way, at a million.
            models.Index(fields=["id"], condition=models.Q(visible=True), name="ini_visible_id"),
            # A state and a link filter (a goal, a role): both sides in key order, so
            # PostgreSQL merges them and stops at the count's cap. At a million, "goal + CA"
            # counted its first 10,001 matches in 26–38 ms instead of 92 (a hash of every
            # visible CA key).
            models.Index(
                fields=["state", "id"],
                condition=models.Q(visible=True),
                name="ini_visible_state_id",
            ),
            # Near a ZIP: statewide work of the ZIP's state is found wherever it is based.
            models.Index(
                fields=["state", "scope"],
                condition=models.Q(visible=True),
                name="ini_visible_state_scope",
            ),
            models.Index(fields=["latitude", "longitude"], name="ini_lat_lon"),
            models.Index(fields=["updated_at", "uuid"], name="ini_updated"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields:
            kwargs["update_fields"] = {*update_fields, "visible"}
        super().save(*args, **kwargs)  # pre_save (``keep_visible``) sets ``visible``

    def get_absolute_url(self) -> str:
        return detail_url("directory:initiative-detail", self.slug)

    @property
    def name(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end date is before the start date.")})


def touch_on_m2m_change(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Changing only roles, goals or networks still counts as a change to the listing.

    The change feed, ETags and sitemaps read ``updated_at``; without this, a mirror would miss
    a listing whose roles were edited.
    """
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not getattr(settings, "MPDB_TOUCH_ON_M2M", True):  # off while a backup is restored
        return
    now = timezone.now()
    if not reverse:
        type(instance).objects.filter(pk=instance.pk).update(updated_at=now)
        instance.updated_at = now
    elif pk_set:
        model.objects.filter(pk__in=pk_set).update(updated_at=now)


for _field in (
    Organization.roles,
    Organization.goals,
    Organization.networks,
    Organization.languages,
    Initiative.roles,
    Initiative.goals,
    Initiative.languages,
):
    models.signals.m2m_changed.connect(
        touch_on_m2m_change, sender=_field.through, dispatch_uid=f"touch-{_field.through}"
    )


@receiver(pre_save, sender=Initiative, dispatch_uid="initiative-visible")
def keep_visible(sender, instance: Initiative, **kwargs) -> None:
    """``visible`` from the row's own status and its organization's, on every save (fixtures'
    raw saves included: they skip ``save()`` but not this signal)."""
    instance.visible = (
        instance.status == Status.PUBLISHED
        and Organization.objects.filter(
            pk=instance.organization_id, status=Status.PUBLISHED
        ).exists()
    )
