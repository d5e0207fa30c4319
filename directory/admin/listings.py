"""The admin for listings and their sources, the taxonomy's languages and API keys."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from modeltranslation.admin import TranslationAdmin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey
from simple_history.admin import SimpleHistoryAdmin

from directory.forms.participation import SourceRecordForm
from directory.hsds.admin_views import hsds_import_view
from directory.models import (
    Event,
    Initiative,
    Language,
    Membership,
    ModerationDecision,
    Organization,
    SourceRecord,
    Status,
)
from directory.services.curators import is_own_work, other_curator_exists
from directory.services.edit_forms import decision_edit, edit_labels
from directory.services.imports import import_listings
from directory.services.moderation import (
    NEEDS_REASON,
    AlreadyDecided,
    EditConflict,
    decide,
    status_decision,
)
from directory.validators import CleanTextFormMixin

LOCATION_FIELDS = ("postal_code", ("city", "state"), "county", ("latitude", "longitude"), "scope")


URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


LIFECYCLE_FIELDS = ("status", "source", "is_demo", "published_at", "last_verified_at")


class SourceInline(admin.StackedInline):
    """The listing's sources (docs/data.md), edited where the listing is."""

    model = SourceRecord
    form = SourceRecordForm
    extra = 0
    fields = ["url", "title", "publisher", "seen_on", "supports"]


class SourcesAdminMixin:
    """Sources a curator adds in the admin record who added them."""

    def save_formset(self, request, form, formset, change):
        if formset.model is SourceRecord:
            for inline_form in formset.forms:
                if inline_form.has_changed() and inline_form.instance.pk is None:
                    inline_form.instance.added_by = request.user
        super().save_formset(request, form, formset, change)


class ListingAdminForm(CleanTextFormMixin, forms.ModelForm):
    """Curators' text gets the checks members' text gets (no control characters; names and
    titles on one line). A new status is a curator's decision (``ListingAdmin.save_model``)."""

    def clean_status(self):
        status = self.cleaned_data["status"]
        old = self.initial.get("status")
        if self.instance.pk is None or status == old:
            return status
        action = status_decision(old, status)
        if action is None:
            raise forms.ValidationError(
                _("A decision cannot move a listing from “%(old)s” to “%(new)s”.")
                % {"old": Status(old).label, "new": Status(status).label}
            )
        if action in NEEDS_REASON:
            raise forms.ValidationError(
                _("Reject it in the curators' queue, where the reason goes to the submitter.")
            )
        return status


class ListingAdmin(SourcesAdminMixin, SimpleHistoryAdmin):
    form = ListingAdminForm
    formfield_overrides = URL_FIELDS

    def save_model(self, request, obj, form, change):
        """A new status is a curator's decision like any other (``moderation.decide``, recorded
        and e-mailed): the rest of the form is saved first, then the decision moves the status."""
        action = None
        if change and "status" in form.changed_data:
            action = status_decision(form.initial["status"], obj.status)
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        if action is not None:
            try:
                decide(by=request.user, target=obj, action=action)
            except (AlreadyDecided, ValueError) as exc:
                self.message_user(request, f"{obj}: {exc}", messages.WARNING)
            obj.refresh_from_db()

    def get_readonly_fields(self, request, obj=None):
        """A curator's own listing is published (or not) by another curator, in the queue."""
        fields = super().get_readonly_fields(request, obj)
        if (
            obj is not None
            and is_own_work(request.user, obj)
            and other_curator_exists(request.user)
        ):
            return [*fields, "status", "published_at", "last_verified_at"]
        return fields

    # django-simple-history queries with the ids as typed: "abc" would be a 500, not a 404.
    def history_view(self, request, object_id, extra_context=None):
        self._check_ids(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_ids(object_id, version_id)
        if request.method == "POST":
            return self._revert(request, object_id, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _revert(self, request, object_id, version_id):
        """ "Revert" is a curator's decision like any other (``moderation.decide``): the version
        comes back as it was recorded, and the decision is kept and e-mailed."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_history_permission(request, obj):
            raise PermissionDenied
        record = get_object_or_404(obj.history, history_id=version_id)
        decide(by=request.user, target=obj, action=ModerationDecision.Action.REVERT, version=record)
        obj.refresh_from_db()
        self.message_user(
            request,
            _("“%(listing)s” is back to the version of %(date)s.")
            % {"listing": obj, "date": f"{record.history_date:%Y-%m-%d %H:%M}"},
        )
        opts = self.model._meta
        return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", obj.pk)

    def _check_ids(self, object_id, version_id="0") -> None:
        if not (version_id.isascii() and version_id.isdigit()):
            raise Http404
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class TextKeyAdminMixin:
    """For models whose primary key is text: an id with a NUL is "no such object" (PostgreSQL
    answers a NUL in a query with an error, which would be a 500)."""

    def get_object(self, request, object_id, from_field=None):
        if "\x00" in object_id:
            return None
        return super().get_object(request, object_id, from_field)


class APIKeyAdmin(TextKeyAdminMixin, APIKeyModelAdmin):
    pass


admin.site.unregister(APIKey)


admin.site.register(APIKey, APIKeyAdmin)


@admin.register(Language)
class LanguageAdmin(TextKeyAdminMixin, TranslationAdmin):
    list_display = ["code", "name", "order"]
    list_editable = ["order"]
    search_fields = ["code", "name"]


@admin.register(Organization)
class OrganizationAdmin(ListingAdmin):
    inlines = [MembershipInline, SourceInline]
    list_display = ["name", "status", "scope", "state", "source", "is_network", "updated_at"]
    list_filter = [
        "status",
        "scope",
        "source",
        "is_network",
        "is_demo",
        "goals",
        "roles__group",
        "state",
    ]
    search_fields = ["name", "summary", "slug", "website"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["roles", "goals", "networks", "languages"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": (
                    "name",
                    "slug",
                    "summary",
                    "description",
                    "website",
                    "email",
                    "founded_year",
                    "is_network",
                )
            },
        ),
        (gettext_lazy("Place"), {"fields": LOCATION_FIELDS}),
        (
            gettext_lazy("Classification"),
            {"fields": ("roles", "goals", "classified_by", "networks", "languages")},
        ),
        (
            gettext_lazy("Lifecycle"),
            {"fields": (*LIFECYCLE_FIELDS, "uuid", "created_at", "updated_at")},
        ),
    ]


@admin.register(Initiative)
class InitiativeAdmin(ListingAdmin):
    def get_urls(self):
        """Adds /admin/directory/initiative/import/ (CSV import of either kind of listing)."""
        extra = [path("import/", self.admin_site.admin_view(import_view), name="directory_import")]
        extra.append(
            path(
                "import-hsds/",
                self.admin_site.admin_view(hsds_import_view),
                name="directory_import_hsds",
            )
        )
        return extra + super().get_urls()

    list_display = [
        "title",
        "organization",
        "status",
        "scope",
        "state",
        "welcomes_newcomers",
        "updated_at",
    ]
    list_filter = [
        "status",
        "scope",
        "source",
        "welcomes_newcomers",
        "is_demo",
        "goals",
        "roles__group",
        "roles",
        "state",
    ]
    list_select_related = ["organization"]
    search_fields = ["title", "summary", "slug", "organization__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["organization"]
    filter_horizontal = ["roles", "goals", "languages"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ("title", "slug", "organization", "summary", "description", "website")}),
        (
            gettext_lazy("Getting involved"),
            {
                "fields": (
                    "welcomes_newcomers",
                    "get_involved",
                    "get_involved_url",
                    ("starts_on", "ends_on"),
                )
            },
        ),
        (gettext_lazy("Place"), {"fields": LOCATION_FIELDS}),
        (
            gettext_lazy("Classification"),
            {"fields": ("roles", "goals", "classified_by", "languages")},
        ),
        (
            gettext_lazy("Lifecycle"),
            {"fields": (*LIFECYCLE_FIELDS, "uuid", "created_at", "updated_at")},
        ),
    ]
    inlines = [SourceInline]


def decide_each(model_admin, request, queryset, done: str) -> None:
    """Approve each item the way the curators' queue does (one decision each, recorded and
    e-mailed; never a curator's own claim or edit while another curator can decide it). An edit
    to a listing changed since it was sent is skipped: the queue shows what it would overwrite."""
    count = 0
    for item in queryset:
        try:
            decide(
                by=request.user, target=item, action="approve", edit=decision_edit(item, "approve")
            )
            count += 1
        except EditConflict as conflict:
            model_admin.message_user(
                request,
                _(
                    "%(item)s: skipped. The listing was changed after this edit was sent "
                    "(%(fields)s); approve it from the curators' queue, which shows what it would "
                    "overwrite."
                )
                % {"item": item, "fields": ", ".join(edit_labels(item, conflict.fields))},
                messages.WARNING,
            )
        except (AlreadyDecided, ValueError) as exc:
            model_admin.message_user(request, f"{item}: {exc}", messages.WARNING)
    if count:
        model_admin.message_user(request, done)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("organizations", gettext_lazy("Organizations")),
            ("initiatives", gettext_lazy("Initiatives")),
        ],
        label=gettext_lazy("Kind"),
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV, UTF-8, with a header row (see docs/import.md)."),
    )
    status = forms.ChoiceField(
        choices=[(status, Status(status).label) for status in (Status.PENDING, Status.PUBLISHED)],
        label=gettext_lazy("Status"),
    )


def import_view(request):
    """Admin page: upload a CSV of listings; all rows are checked before anything is saved."""
    if not request.user.has_perm("directory.moderate"):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8")
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        else:
            result = import_listings(
                kind=form.cleaned_data["kind"],
                text=text,
                status=form.cleaned_data["status"],
                by=request.user.email or request.user.get_username(),
            )
            if not result.errors:
                count = len(result.created)
                messages.success(
                    request,
                    ngettext("Imported %(count)s listing.", "Imported %(count)s listings.", count)
                    % {"count": count},
                )
    context = {
        **admin.site.each_context(request),
        "form": form,
        "result": result,
        "title": _("Import listings"),
    }
    return TemplateResponse(request, "admin/directory/import.html", context)


@admin.register(Event)
class EventAdmin(ListingAdmin):
    list_display = ["title", "organization", "starts_at", "mode", "status", "state"]
    list_filter = ["status", "mode", "source", "is_demo", "goals", "state"]
    list_select_related = ["organization"]
    search_fields = ["title", "summary", "slug", "organization__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["organization", "initiative"]
    filter_horizontal = ["roles", "goals"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    date_hierarchy = "starts_at"
    inlines = [SourceInline]
