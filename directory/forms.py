"""Forms organizations use to register, claim, submit and edit listings."""

from urllib.parse import urlparse

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from goals.models import Goal
from roles.models import Role

from .models import (
    ClaimRequest,
    Fact,
    Initiative,
    Language,
    Organization,
    Scope,
    SourceRecord,
    Status,
)
from .validators import CleanTextFormMixin

PLACED_SCOPES = (Scope.LOCAL, Scope.STATE, Scope.REGIONAL)


class HoneypotMixin(forms.Form):
    """A field people never see and bots fill in."""

    homepage = forms.CharField(
        required=False, label=_("Leave this field empty"), max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )  # fmt: skip

    def clean_homepage(self):
        if self.cleaned_data.get("homepage"):
            raise forms.ValidationError(_("This field must stay empty."))
        return ""


class RolePicker(forms.ModelMultipleChoiceField):
    """All 53 roles as checkboxes, grouped, each with its explanation (see the template)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Role.objects.with_label())
        kwargs.setdefault("required", False)
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("label", _("Roles"))
        kwargs.setdefault(
            "help_text", _("Choose the roles this work plays. Each is explained beside it.")
        )
        super().__init__(**kwargs)


class GoalPicker(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Goal.objects.all())
        kwargs.setdefault("required", False)
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("label", _("Goals"))
        super().__init__(**kwargs)


class LanguagePicker(forms.ModelMultipleChoiceField):
    """The languages a listing serves people in, as checkboxes (ISO 639-1 codes)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Language.objects.all())
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Languages"))
        kwargs.setdefault(
            "help_text",
            _("The languages people can be served in. Leave empty if it is only English."),
        )
        super().__init__(**kwargs)


class ZipCodeField(forms.CharField):
    """A 5-digit ZIP code; a ZIP+4 ("80302-1234") is taken as its first five digits."""

    def to_python(self, value):
        from .geo import five_digit_zip

        return five_digit_zip(super().to_python(value))

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "maxlength": "10"}  # room for a ZIP+4


def _formfield(model_field, **kwargs):
    """Addresses typed without a scheme are taken as https://; ZIP+4 codes as 5 digits."""
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    if model_field.name == "postal_code":
        kwargs.setdefault("form_class", ZipCodeField)
    return model_field.formfield(**kwargs)


class ListingForm(CleanTextFormMixin, HoneypotMixin, forms.ModelForm):
    """Rules shared by organization and initiative forms (text checks: validators.py)."""

    roles = RolePicker()
    goals = GoalPicker(help_text=_("Which of the seven goals does this work serve?"))
    languages = LanguagePicker()

    def clean(self):
        data = super().clean()
        if data.get("scope") in PLACED_SCOPES and not data.get("postal_code"):
            self.add_error("postal_code", _("Local, statewide and regional work needs a ZIP code."))
        return data

    #: Rendered by their own pickers (or hidden: the honeypot), not by the generic field loop.
    PICKED_FIELDS = ("roles", "goals", "languages", "networks", "homepage")

    def plain_fields(self) -> list:
        return [field for field in self if field.name not in self.PICKED_FIELDS]

    COMMON_LANGUAGES = 8

    def language_checkboxes(self) -> tuple[list, list, bool]:
        """(the most spoken languages, the rest, whether one of the rest is ticked)."""
        boxes = list(self["languages"])
        common, more = boxes[: self.COMMON_LANGUAGES], boxes[self.COMMON_LANGUAGES :]
        return common, more, any(box.data["selected"] for box in more)

    def role_groups(self):
        """The role checkboxes grouped for the template: [(group, [(checkbox, role)])]."""
        roles = {r.slug: r for r in self.fields["roles"].queryset}
        groups: dict = {}
        for checkbox in self["roles"]:
            role = roles[str(checkbox.data["value"])]
            groups.setdefault(role.group, []).append((checkbox, role))
        return list(groups.items())


class OrganizationForm(ListingForm):
    networks = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.published().filter(is_network=True).order_by("name"),
        required=False, widget=forms.CheckboxSelectMultiple, to_field_name="slug",
        label=_("Networks"), help_text=_("Coalitions or networks your organization belongs to."),
    )  # fmt: skip

    class Meta:
        model = Organization
        formfield_callback = _formfield
        fields = [
            "name", "summary", "description", "website", "email", "postal_code", "scope",
            "cross_partisan", "roles", "goals", "networks", "languages",
        ]  # fmt: skip
        labels = {
            "name": _("Organization name"),
            "summary": _("Short summary"),
            "description": _("Description"),
            "website": _("Website"),
            "scope": _("Scope"),
        }
        help_texts = {
            "summary": _("One or two sentences, up to 280 characters. Shown in search results."),
            "email": _("Shown publicly so people can reach you. Optional."),
            "cross_partisan": _(
                "Tick if your work deliberately brings together people of "
                "different political views. Shown as your own statement."
            ),
            "postal_code": _("Where you are based. We fill in the city and state."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}


class InitiativeForm(ListingForm):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), to_field_name="slug", label=_("Organization"),
        help_text=_("The organization that runs this initiative."),
    )  # fmt: skip

    class Meta:
        model = Initiative
        formfield_callback = _formfield
        fields = [
            "organization", "title", "summary", "description", "website",
            "welcomes_newcomers", "get_involved", "get_involved_url", "starts_on", "ends_on",
            "postal_code", "scope", "roles", "goals", "languages",
        ]  # fmt: skip
        labels = {
            "title": _("Title"),
            "summary": _("Short summary"),
            "description": _("Description"),
            "website": _("Website"),
            "welcomes_newcomers": _("Newcomers are welcome"),
            "starts_on": _("Starts on"),
            "ends_on": _("Ends on"),
            "scope": _("Scope"),
        }
        help_texts = {
            "summary": _("One or two sentences, up to 280 characters. Shown in search results."),
            "postal_code": _("Where it happens. Leave empty for national or online work."),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "get_involved": forms.Textarea(attrs={"rows": 3}),
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["organization"].queryset = (
                Organization.objects.filter(memberships__user=user)
                .exclude(status__in=[Status.REJECTED, Status.ARCHIVED])
                .order_by("name")
            )
        if self.instance.pk:
            # An initiative stays with its organization; moving it is a curator's job. A disabled
            # field validates its initial value, so give it in the field's own terms (the slug).
            self.fields["organization"].disabled = True
            self.fields["organization"].queryset = Organization.objects.filter(
                pk=self.instance.organization_id
            )
            self.initial["organization"] = self.instance.organization.slug


class ClaimForm(CleanTextFormMixin, HoneypotMixin, forms.ModelForm):
    class Meta:
        model = ClaimRequest
        fields = ["evidence", "work_email", "message"]
        widgets = {
            "evidence": forms.RadioSelect,
            "message": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "evidence": _("How can we confirm you work with this organization?"),
            "work_email": _("Work email"),
            "message": _("Message"),
        }
        help_texts = {
            "work_email": _("We send a confirmation link to this address."),
            "message": _("Your role there, and anything that helps the curators check."),
        }

    def __init__(self, *args, organization: Organization, **kwargs):
        self.organization = organization
        super().__init__(*args, **kwargs)
        routes = ClaimRequest.Evidence.choices  # no empty "---------" radio
        if not self.web_domain():
            # Nothing to check a work address against: a message is the only way.
            routes = [(ClaimRequest.Evidence.MESSAGE, ClaimRequest.Evidence.MESSAGE.label)]
            self.initial.setdefault("evidence", ClaimRequest.Evidence.MESSAGE)
            del self.fields["work_email"]
        self.fields["evidence"].choices = routes

    def web_domain(self) -> str:
        return (urlparse(self.organization.website).hostname or "").removeprefix("www.")

    def clean(self):
        data = super().clean()
        evidence = data.get("evidence")
        if evidence == ClaimRequest.Evidence.DOMAIN_EMAIL:
            email = data.get("work_email", "")
            domain = self.web_domain()
            if not email:
                self.add_error("work_email", _("Enter your e-mail address at the organization."))
            elif not email.lower().endswith("@" + domain) and not email.lower().endswith(
                "." + domain
            ):
                self.add_error(
                    "work_email",
                    _("Use an address ending in @%(domain)s.") % {"domain": domain},
                )
        elif evidence == ClaimRequest.Evidence.MESSAGE and not data.get("message", "").strip():
            self.add_error("message", _("Tell the curators how you are connected to it."))
        return data


class InvitationForm(CleanTextFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address to invite"),
        help_text=_("They will be able to edit your listings."),
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        self.organization = organization
        super().__init__(*args, **kwargs)

    def clean_email(self):
        from django.db.models import Q

        from .models import Invitation, Membership

        email = self.cleaned_data["email"]
        if Membership.objects.filter(
            Q(user__email__iexact=email) | Q(user__emailaddress__email__iexact=email),
            organization=self.organization,
        ).exists():
            raise forms.ValidationError(_("This address belongs to a member already."))
        if (
            Invitation.objects.open()
            .filter(organization=self.organization, email__iexact=email)
            .exists()
        ):
            raise forms.ValidationError(
                _("This address has an invitation that is still open; revoke it to send a new one.")
            )
        return email


def max_pending_reached(user) -> bool:
    """True when the account already has as many items waiting for review as it may."""
    from .models import ChangeRequest, Decision, Event

    waiting = (
        Event.objects.filter(submitted_by=user, status=Status.PENDING).count()
        + Organization.objects.filter(submitted_by=user, status=Status.PENDING).count()
        + Initiative.objects.filter(submitted_by=user, status=Status.PENDING).count()
        + ChangeRequest.objects.filter(submitted_by=user, status=Decision.PENDING).count()
    )
    return waiting >= settings.MAX_PENDING_PER_ACCOUNT


class ReportForm(CleanTextFormMixin, HoneypotMixin, forms.ModelForm):
    class Meta:
        from .models import Report

        model = Report
        fields = ["kind", "message", "email"]
        widgets = {"kind": forms.RadioSelect, "message": forms.Textarea(attrs={"rows": 4})}
        labels = {"message": _("Message")}
        help_texts = {"message": _("What should change? Links to sources help the curators.")}


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
    from .geo import us_timezones
    from .models.events import US_TIMEZONES

    named = dict(NAMED_US_TIMEZONES)
    local = [zone for zone in sorted(us_timezones()) if zone not in named]
    if current and current not in named and current not in local and current not in US_TIMEZONES:
        local.append(current)
    other = [zone for zone in US_TIMEZONES if zone not in named and zone not in local]
    return [
        (_("U.S. time zones"),
         [*NAMED_US_TIMEZONES, *((zone, zone.replace("_", " ")) for zone in local)]),
        (_("Other time zones"), [(zone, zone.replace("_", " ")) for zone in other]),
    ]  # fmt: skip


class EventForm(ListingForm):
    """An event of one of the member's organizations (optionally of one of its initiatives)."""

    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), to_field_name="slug", label=_("Organization")
    )
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.none(), to_field_name="slug", required=False,
        label=_("Initiative"),
        help_text=_("Leave empty if the event is not part of a listed initiative."),
    )  # fmt: skip
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Local time where the event happens (or your time zone for online events)."),
    )  # fmt: skip
    ends_at = forms.DateTimeField(
        label=_("Ends"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    class Meta:
        from .models import Event

        model = Event
        formfield_callback = _formfield
        fields = [
            "organization", "initiative", "title", "summary", "description", "starts_at",
            "ends_at", "all_day", "timezone", "mode", "postal_code", "join_url",
            "registration_url", "cost", "accessibility", "website", "roles", "goals", "languages",
        ]  # fmt: skip
        labels = {
            "title": _("Title"),
            "summary": _("Short summary"),
            "description": _("Description"),
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
        from .geo import place_timezone

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

        from .geo import zip_timezone

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


class AlertForm(CleanTextFormMixin, HoneypotMixin, forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"))
    frequency = forms.ChoiceField(
        choices=[("weekly", _("Weekly")), ("daily", _("Daily"))],
        initial="weekly",
        label=_("How often"),
    )
    kind = forms.ChoiceField(
        choices=[("initiatives", "initiatives"), ("events", "events")], widget=forms.HiddenInput
    )
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean(self):
        from .alerts import query_is_valid

        data = super().clean()
        if data.get("kind") and not query_is_valid(data["kind"], data.get("query", "")):
            raise forms.ValidationError(_("This search has a problem; fix it before subscribing."))
        return data


class SourceRecordForm(CleanTextFormMixin, forms.ModelForm):
    """One source of a listing, as curators edit it (in /curate/ and the admin)."""

    url = forms.URLField(label=_("Address (URL)"), max_length=500, assume_scheme="https")
    supports = forms.MultipleChoiceField(
        label=_("Facts it supports"),
        choices=Fact.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Which of the listing's facts this page states."),
    )

    class Meta:
        model = SourceRecord
        fields = ["url", "title", "publisher", "seen_on", "supports"]
        widgets = {"seen_on": forms.DateInput(attrs={"type": "date"})}

    def clean_supports(self) -> list[str]:
        chosen = set(self.cleaned_data["supports"])
        return [fact for fact in Fact.values if fact in chosen]  # the usual order
