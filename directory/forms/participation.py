"""Forms for taking part: claims, invitations, reports, alerts, and curators' sources."""

from urllib.parse import urlparse

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.forms.listings import HoneypotMixin
from directory.models import ClaimRequest, Fact, Organization, SourceRecord
from directory.validators import CleanTextFormMixin


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

        from directory.models import Invitation, Membership

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


class ReportForm(CleanTextFormMixin, HoneypotMixin, forms.ModelForm):
    class Meta:
        from directory.models import Report

        model = Report
        fields = ["kind", "message", "email"]
        widgets = {"kind": forms.RadioSelect, "message": forms.Textarea(attrs={"rows": 4})}
        labels = {"message": _("Message")}
        help_texts = {"message": _("What should change? Links to sources help the curators.")}


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
        from directory.services.alerts import query_is_valid

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
