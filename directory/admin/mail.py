"""E-mails the mail server refused, in the admin: read-only. Curators see each attempt (waiting,
sent, refused and tried again later, given up) and send a given-up message again.

The task queue's own page (*Task results*) leaves these tasks out, so a message's text is shown
in one place only, and never when it holds a personal link. Imported by ``directory.admin``.
"""

from django.contrib import admin, messages
from django.template.defaultfilters import linebreaksbr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from directory.models import QueuedMail
from directory.models.mail import MAIL_TASK
from directory.services.mail import send_again as queue_again

Status = QueuedMail.Status


class StateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("Waiting to be sent again")),
            ("failed", _("Given up")),
            ("done", _("Sent, or passed on to the next attempt")),
        ]

    def queryset(self, request, queryset):
        status = {
            "waiting": [Status.READY, Status.RUNNING],
            "failed": [Status.FAILED],
            "done": [Status.SUCCESSFUL],
        }.get(self.value())
        return queryset.filter(status__in=status) if status else queryset


@admin.register(QueuedMail)
class QueuedMailAdmin(admin.ModelAdmin):
    list_display = [
        "enqueued_at",
        "template",
        "recipients",
        "subject",
        "attempt_number",
        "state",
        "next_attempt",
        "error",
    ]
    list_filter = [StateFilter]
    date_hierarchy = "enqueued_at"
    fields = [
        "recipients",
        "subject",
        "template",
        "language",
        "state",
        "attempt_number",
        "error",
        "enqueued_at",
        "started_at",
        "next_attempt",
        "sensitive",
        "text",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description=gettext_lazy("to"))
    def recipients(self, obj):
        return ", ".join(obj.mail["to"])

    @admin.display(description=gettext_lazy("subject"))
    def subject(self, obj):
        return obj.mail["subject"]

    @admin.display(description=gettext_lazy("message"))
    def template(self, obj):
        return obj.mail["template"]

    @admin.display(description=gettext_lazy("language"))
    def language(self, obj):
        return obj.mail["language"]

    @admin.display(description=gettext_lazy("attempt"))
    def attempt_number(self, obj):
        return obj.attempt

    @admin.display(description=gettext_lazy("state"))
    def state(self, obj):
        if obj.status == Status.FAILED:
            return _("Given up")
        if obj.status == Status.SUCCESSFUL:
            sent = (obj.return_value or {}).get("sent")
            return _("Sent") if sent else _("Refused; tried again later")
        if obj.status == Status.RUNNING:
            return _("Being sent")
        return _("Waiting to be sent again")

    @admin.display(description=gettext_lazy("next attempt"))
    def next_attempt(self, obj):
        return obj.run_after if obj.status == Status.READY else None

    @admin.display(description=gettext_lazy("last error"))
    def error(self, obj):
        if obj.status == Status.FAILED:
            lines = [line for line in obj.traceback.splitlines() if line.strip()]
            return lines[-1] if lines else ""
        return (obj.return_value or {}).get("error", "")

    @admin.display(description=gettext_lazy("holds a personal link"), boolean=True)
    def sensitive(self, obj):
        return bool(obj.mail.get("sensitive"))

    @admin.display(description=gettext_lazy("text"))
    def text(self, obj):
        if obj.mail.get("sensitive"):
            return _(
                "Not shown: this e-mail holds a personal link (sign-in, confirmation or password)."
            )
        return linebreaksbr(obj.mail["body"], autoescape=True)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # what was sent stays as it was; "send again" is the one thing to do

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("directory.resend_queuedmail")

    @admin.action(
        description=gettext_lazy("Send the selected given-up e-mails again"),
        permissions=["resend"],
    )
    def send_again(self, request, queryset):
        queued = queue_again(queryset.filter(status=Status.FAILED))
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail queued to be sent again.",
                "%(count)d e-mails queued to be sent again.",
                queued,
            )
            % {"count": queued},
            level=messages.SUCCESS if queued else messages.WARNING,
        )


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    """The task queue's page, without the e-mails (see ``QueuedMailAdmin``)."""

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(task_path=MAIL_TASK)
