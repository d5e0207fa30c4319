"""The admin for memberships, claims, change requests and invitations."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.admin.listings import decide_each
from directory.models import ChangeRequest, ClaimRequest, Decision, Invitation, Membership
from directory.services.edit_forms import change_request_diff

#: Read-only: a request is decided by its admin action or in the curators' queue, both through
#: moderation.decide, which records the decision.
DECISION_FIELDS = ["created_at", "status", "decided_by", "decided_at"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(ClaimRequest)
class ClaimRequestAdmin(admin.ModelAdmin):
    list_display = [
        "organization",
        "user",
        "evidence",
        "work_email",
        "email_verified_at",
        "status",
        "created_at",
    ]
    list_filter = ["status", "evidence"]
    search_fields = ["organization__name", "user__email", "work_email"]
    readonly_fields = [
        "user",
        "organization",
        "evidence",
        "work_email",
        "message",
        "email_verified_at",
        *DECISION_FIELDS,
    ]
    actions = ["grant"]

    @admin.action(
        description=gettext_lazy("Grant the selected claims (the claimant becomes owner)")
    )
    def grant(self, request, queryset):
        decide_each(self, request, queryset.filter(status=Decision.PENDING), _("Granted."))


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "submitted_by", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = [
        "organization",
        "initiative",
        "event",
        "submitted_by",
        "proposed",
        "diff",
        *DECISION_FIELDS,
    ]
    actions = ["approve"]

    @admin.display(description=gettext_lazy("What changes"))
    def diff(self, obj):
        rows = change_request_diff(obj)
        return format_html_join(
            "\n",
            "<p><strong>{}</strong>: <del>{}</del> → <ins>{}</ins></p>",
            ((r["label"], r["current"], r["proposed"]) for r in rows),
        )

    @admin.action(description=gettext_lazy("Approve the selected changes (they go public now)"))
    def approve(self, request, queryset):
        decide_each(self, request, queryset.filter(status=Decision.PENDING), _("Approved."))


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "invited_by", "created_at", "accepted_at"]
    search_fields = ["email", "organization__name"]
    readonly_fields = ["token"]
