"""The taxonomy in English and Spanish (django-modeltranslation: name_en, name_es, …)."""

from modeltranslation.translator import TranslationOptions, register

from .models import FinderAnswer, Role, RoleGroup


@register(RoleGroup)
class RoleGroupTranslation(TranslationOptions):
    fields = ("name", "summary", "function_name")


@register(Role)
class RoleTranslation(TranslationOptions):
    fields = ("name", "summary")


@register(FinderAnswer)
class FinderAnswerTranslation(TranslationOptions):
    fields = ("label", "because")
