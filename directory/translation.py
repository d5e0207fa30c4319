"""Language names in English and Spanish (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from directory.models import Language


@register(Language)
class LanguageTranslation(TranslationOptions):
    fields = ("name",)
