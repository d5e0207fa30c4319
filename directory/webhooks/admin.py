"""Webhooks in the admin: curators see every endpoint and its delivery log, and pause or resume
an endpoint (the same services the partner API uses). Signing secrets are never shown.

Imported by ``directory.admin``.
"""

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy, ngettext

from directory.models import WebhookDelivery, WebhookEndpoint
from directory.webhooks.services import endpoint_pause, endpoint_resume


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = [
        "url",
        "key",
        "contact_email",
        "event_list",
        "paused_at",
        "failing_since",
        "created_at",
    ]
    list_filter = [("paused_at", admin.EmptyFieldListFilter)]
    search_fields = ["url", "contact_email", "key__name", "key__prefix"]
    fields = [
        "url",
        "key",
        "event_list",
        "description",
        "contact_email",
        "created_at",
        "failing_since",
        "paused_at",
        "pause_reason",
        "delivery_log",
    ]
    readonly_fields = fields
    actions = ["pause", "resume"]

    @admin.display(description=gettext_lazy("events"))
    def event_list(self, obj):
        return ", ".join(obj.events)

    @admin.display(description=gettext_lazy("delivery log"))
    def delivery_log(self, obj):
        url = (
            reverse("admin:directory_webhookdelivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        )
        return format_html('<a href="{}">{}</a>', url, gettext_lazy("Deliveries to this endpoint"))

    def has_add_permission(self, request):
        return False  # partners register endpoints with their key (the API)

    @admin.action(description=gettext_lazy("Pause the selected endpoints"), permissions=["change"])
    def pause(self, request, queryset):
        for endpoint in queryset:
            endpoint_pause(endpoint, reason=f"Paused by curator {request.user}")
        self.message_user(
            request,
            ngettext("%(count)d endpoint paused.", "%(count)d endpoints paused.", len(queryset))
            % {"count": len(queryset)},
        )

    @admin.action(description=gettext_lazy("Resume the selected endpoints"), permissions=["change"])
    def resume(self, request, queryset):
        for endpoint in queryset:
            endpoint_resume(endpoint)
        self.message_user(
            request,
            ngettext("%(count)d endpoint resumed.", "%(count)d endpoints resumed.", len(queryset))
            % {"count": len(queryset)},
        )


#: Where a delivery went, of what, and how it is going: in the list and on its page.
DELIVERY_STATE = ("endpoint", "event", "state", "attempts", "last_status_code", "last_error")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", *DELIVERY_STATE, "delivered_at", "next_attempt_at"]
    list_filter = ["state", "event"]
    list_select_related = ["endpoint"]
    search_fields = ["endpoint__url", "uuid"]
    date_hierarchy = "created_at"
    fields = [
        "uuid",
        *DELIVERY_STATE,
        "created_at",
        "delivered_at",
        "next_attempt_at",
        "attempt_started_at",
        "attempts_shown",
        "body_shown",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("attempts, one a line"))
    def attempts_shown(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.attempt_log, indent=1))

    @admin.display(description=gettext_lazy("body sent"))
    def body_shown(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(json.loads(obj.body), indent=1))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a log
