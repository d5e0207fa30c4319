"""The outbox in the admin: read-only; curators see what waits or was given up and can send again.

Imported by ``directory.admin``.
"""

from django.contrib import admin, messages
from django.template.defaultfilters import linebreaksbr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import OutgoingMail
from .outbox import retry_now


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "template", "recipients", "subject", "state", "attempts",
        "next_attempt_at", "last_error",
    ]  # fmt: skip
    list_filter = ["state", "template", "sensitive"]
    search_fields = ["subject", "template", "last_error"]
    date_hierarchy = "created_at"
    fields = [
        "recipients", "from_email", "subject", "template", "language", "state", "attempts",
        "last_error", "created_at", "last_attempt_at", "next_attempt_at", "sensitive", "text",
    ]  # fmt: skip
    readonly_fields = fields
    actions = ["send_now"]

    @admin.display(description=gettext_lazy("to"))
    def recipients(self, obj):
        return ", ".join(obj.to)

    @admin.display(description=gettext_lazy("text"))
    def text(self, obj):
        if obj.sensitive:
            return _(
                "Not shown: this e-mail holds a personal link (sign-in, confirmation or password)."
            )
        return linebreaksbr(obj.body, autoescape=True)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # what was sent stays as it was; "send now" is the one thing to do

    def has_retry_permission(self, request):
        return request.user.has_perm("directory.retry_outgoingmail")

    @admin.action(description=gettext_lazy("Send the selected e-mails now"), permissions=["retry"])
    def send_now(self, request, queryset):
        sent, refused = retry_now(queryset)
        if sent:
            self.message_user(
                request,
                ngettext("%(count)d e-mail sent.", "%(count)d e-mails sent.", sent)
                % {"count": sent},
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail was refused again; it stays in the outbox.",
                    "%(count)d e-mails were refused again; they stay in the outbox.",
                    refused,
                )
                % {"count": refused},
                level=messages.WARNING,
            )
