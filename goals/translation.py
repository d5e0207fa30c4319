"""The goals in English and Spanish (django-modeltranslation adds title_en/_es, summary_en/_es)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Goal


@register(Goal)
class GoalTranslation(TranslationOptions):
    fields = ("title", "summary")
