"""The event form, with U.S. time zones first and the default taken from the place."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.forms.listings import (
    CLASSIFICATION_FIELDS,
    DESCRIPTION_LABELS,
    ListingForm,
    formfield_for,
)
from directory.models import Initiative, Organization, Status

#: The zones most of the country lives in, by the names people know them by.
NAMED_US_TIMEZONES = [
    ("America/New_York", _("Eastern (New York)")),
    ("America/Chicago", _("Central (Chicago)")),
    ("America/Denver", _("Mountain (Denver)")),
    ("America/Phoenix", _("Mountain, no daylight saving (Arizona)")),
    ("America/Los_Angeles", _("Pacific (Los Angeles)")),
    ("America/Anchorage", _("Alaska (Anchorage)")),
    ("Pacific/Honolulu", _("Hawaii (Honolulu)")),
    ("America/Puerto_Rico", _("Atlantic (Puerto Rico)")),
    ("Pacific/Guam", _("Chamorro (Guam)")),
    ("Pacific/Pago_Pago", _("Samoa (American Samoa)")),
]


def timezone_choices(current: str | None = None) -> list:
    """The event time-zone list: the U.S. zones first (the main ones by name, then the local
    ones some ZIP codes keep), then the other zones of the Americas; ``current`` always in it."""
    from directory.models.events import US_TIMEZONES
    from directory.search.geo import us_timezones

    named = dict(NAMED_US_TIMEZONES)
    local = [zone for zone in sorted(us_timezones()) if zone not in named]
    if current and current not in named and current not in local and current not in US_TIMEZONES:
        local.append(current)
    other = [zone for zone in US_TIMEZONES if zone not in named and zone not in local]
    return [
        (
            _("U.S. time zones"),
            [*NAMED_US_TIMEZONES, *((zone, zone.replace("_", " ")) for zone in local)],
        ),
        (_("Other time zones"), [(zone, zone.replace("_", " ")) for zone in other]),
    ]


class EventForm(ListingForm):
    """An event of one of the member's organizations (optionally of one of its initiatives)."""

    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), to_field_name="slug", label=_("Organization")
    )
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.none(),
        to_field_name="slug",
        required=False,
        label=_("Initiative"),
        help_text=_("Leave empty if the event is not part of a listed initiative."),
    )
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Local time where the event happens (or your time zone for online events)."),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    class Meta:
        from directory.models import Event

        model = Event
        formfield_callback = formfield_for
        fields = [
            "organization",
            "initiative",
            "title",
            "summary",
            "description",
            *Event.WHEN_FIELDS,
            "mode",
            "postal_code",
            *Event.ATTENDING_FIELDS,
            "website",
            *CLASSIFICATION_FIELDS,
        ]
        labels = {
            "title": _("Title"),
            **DESCRIPTION_LABELS,
            "all_day": _("All day"),
            "timezone": _("Timezone"),
            "mode": _("Mode"),
            "cost": _("Cost"),
            "website": _("Website"),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "accessibility": forms.Textarea(attrs={"rows": 2}),
            "timezone": forms.Select(),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            mine = Organization.objects.filter(memberships__user=user).exclude(
                status__in=[Status.REJECTED, Status.ARCHIVED]
            )
            self.fields["organization"].queryset = mine.order_by("name")
            self.fields["initiative"].queryset = Initiative.objects.filter(
                organization__in=mine
            ).exclude(status__in=[Status.REJECTED, Status.ARCHIVED])
        zone = self.get_initial_for_field(self.fields["timezone"], "timezone")
        if self.instance._state.adding and "timezone" not in (kwargs.get("initial") or {}):
            zone = self.initial["timezone"] = self._place_timezone() or zone
        self.fields["timezone"].widget.choices = timezone_choices(zone)
        if self.instance.pk:
            # As with initiatives, an event stays with its organization; fields that choose by
            # slug get their initial value as a slug.
            event = self.instance
            self.fields["organization"].disabled = True
            self.fields["organization"].queryset = Organization.objects.filter(
                pk=event.organization_id
            )
            self.initial["organization"] = event.organization.slug
            self.fields["initiative"].queryset = self.fields["initiative"].queryset.filter(
                organization_id=event.organization_id
            )
            self.initial["initiative"] = event.initiative.slug if event.initiative_id else None
            # Times are shown as they were typed: the wall-clock time in the event's own zone.
            from django.utils import timezone as tz

            for name in ("starts_at", "ends_at"):
                value = getattr(event, name)
                if value is not None:
                    local = tz.localtime(value, event.tz).replace(tzinfo=None)
                    self.initial[name] = tz.make_aware(local)

    def _place_timezone(self) -> str:
        """Where a new event most likely happens: its organization's place (the one chosen, or
        the only zone all the member's organizations are in), as a time zone."""
        from directory.search.geo import place_timezone

        organizations = self.fields["organization"].queryset
        chosen = self.initial.get("organization")
        if chosen:
            organizations = organizations.filter(slug=chosen)
        zones = {place_timezone(o.postal_code, o.state) for o in organizations[:20]} - {""}
        return zones.pop() if len(zones) == 1 else ""

    def clean(self):
        data = forms.ModelForm.clean(self)  # ZIP rules differ from other listings: see Event.clean
        self.clean_homepage()
        # Times are entered in the event's own time zone.
        from zoneinfo import ZoneInfo

        from django.utils import timezone as tz

        from directory.search.geo import zip_timezone

        zone_name = (
            (zip_timezone(data.get("postal_code") or "") if data.get("mode") != "online" else "")
            or data.get("timezone")
            or "America/New_York"
        )
        data["timezone"] = zone_name
        self.instance.timezone = zone_name
        try:
            zone = ZoneInfo(zone_name)
        except (KeyError, ValueError):
            return data
        for name in ("starts_at", "ends_at"):
            value = data.get(name)
            if value is not None:
                naive = tz.make_naive(value) if tz.is_aware(value) else value
                data[name] = naive.replace(tzinfo=zone)
                setattr(self.instance, name, data[name])
        if data.get("initiative") and not data.get("roles") and not data.get("goals"):
            # By default an event plays the roles and serves the goals of its initiative.
            data["roles"] = data["initiative"].roles.all()
            data["goals"] = data["initiative"].goals.all()
        return data
