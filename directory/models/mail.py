"""E-mails the mail server refused: the ``send_mail`` tasks of ``directory.services.mail``, as the task
queue (django-tasks-db) keeps them, seen from the admin. Nothing of their own is stored here."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

#: The task that sends a refused message again (``directory.services.mail.send_mail``).
MAIL_TASK = "directory.services.mail.send_mail"


class QueuedMailManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(task_path=MAIL_TASK)


class QueuedMail(DBTaskResult):
    """One attempt at sending a refused message again: waiting, done (sent or refused and
    passed on to the next attempt), or failed (given up after the last attempt)."""

    Status = TaskResultStatus

    objects = QueuedMailManager()

    class Meta:
        proxy = True
        ordering = ["-enqueued_at"]
        permissions = [("resend_queuedmail", "Can send a given-up e-mail again")]
        verbose_name = _("refused e-mail")
        verbose_name_plural = _("e-mails the mail server refused")

    @property
    def mail(self) -> dict:
        return self.args_kwargs["args"][0]

    @property
    def attempt(self) -> int:
        return self.args_kwargs["args"][1]

    def __str__(self) -> str:
        return f"{self.mail['template']} → {', '.join(self.mail['to'])}"
