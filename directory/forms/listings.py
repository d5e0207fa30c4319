"""Forms for listings: organizations and initiatives, with the taxonomy pickers members use."""

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models import Initiative, Language, Organization, Scope, Status
from directory.validators import CleanTextFormMixin
from goals.models import Goal
from roles.models import Role

PLACED_SCOPES = (Scope.LOCAL, Scope.STATE, Scope.REGIONAL)


class HoneypotMixin(forms.Form):
    """A field people never see and bots fill in."""

    homepage = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

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
        from directory.search.geo import five_digit_zip

        return five_digit_zip(super().to_python(value))

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "maxlength": "10"}  # room for a ZIP+4


def formfield_for(model_field, **kwargs):
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


#: How every listing form labels its description, and the checkboxes that classify a listing.
DESCRIPTION_LABELS = {"summary": _("Short summary"), "description": _("Description")}
CLASSIFICATION_FIELDS = ("roles", "goals", "languages")


class OrganizationForm(ListingForm):
    networks = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.published().filter(is_network=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        to_field_name="slug",
        label=_("Networks"),
        help_text=_("Coalitions or networks your organization belongs to."),
    )

    class Meta:
        model = Organization
        formfield_callback = formfield_for
        fields = [
            "name",
            "summary",
            "description",
            "website",
            "email",
            "postal_code",
            "scope",
            "cross_partisan",
            "roles",
            "goals",
            "networks",
            "languages",
        ]
        labels = {
            "name": _("Organization name"),
            **DESCRIPTION_LABELS,
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
        queryset=Organization.objects.none(),
        to_field_name="slug",
        label=_("Organization"),
        help_text=_("The organization that runs this initiative."),
    )

    class Meta:
        model = Initiative
        formfield_callback = formfield_for
        fields = [
            "organization",
            "title",
            "summary",
            "description",
            "website",
            "welcomes_newcomers",
            "get_involved",
            "get_involved_url",
            "starts_on",
            "ends_on",
            "postal_code",
            "scope",
            *CLASSIFICATION_FIELDS,
        ]
        labels = {
            "title": _("Title"),
            **DESCRIPTION_LABELS,
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


def max_pending_reached(user) -> bool:
    """True when the account already has as many items waiting for review as it may."""
    from directory.models import ChangeRequest, Decision, Event

    waiting = (
        Event.objects.filter(submitted_by=user, status=Status.PENDING).count()
        + Organization.objects.filter(submitted_by=user, status=Status.PENDING).count()
        + Initiative.objects.filter(submitted_by=user, status=Status.PENDING).count()
        + ChangeRequest.objects.filter(submitted_by=user, status=Decision.PENDING).count()
    )
    return waiting >= settings.MAX_PENDING_PER_ACCOUNT
