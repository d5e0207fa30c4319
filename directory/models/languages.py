"""The languages a listing serves people in (ISO 639-1)."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class LanguageManager(models.Manager):
    def get_by_natural_key(self, code: str) -> "Language":
        return self.get(code=code)


class Language(models.Model):
    """One ISO 639-1 language; the list is a fixture that curators can extend in the admin."""

    code = models.CharField(
        _("ISO 639-1 code"),
        max_length=2,
        primary_key=True,
        validators=[RegexValidator(r"^[a-z]{2}$", _("Two lower-case letters, e.g. “es”."))],
    )
    # Translated with django-modeltranslation (name_en, name_es): shown in the reader's language.
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(
        _("order"), default=100, help_text=_("Lower numbers come first in lists.")
    )

    objects = LanguageManager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class UserLanguage(models.Model):
    """The interface language a person last signed in with: e-mails to them are written in it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="language_choice",
    )
    language = models.CharField(max_length=8, default="en")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} → {self.language}"
