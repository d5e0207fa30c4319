from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from .models import Goal


@admin.register(Goal)
class GoalAdmin(TranslationAdmin):
    list_display = ["number", "title", "slug", "paper_section"]
    list_display_links = ["title"]
    search_fields = ["title", "summary", "slug"]
    ordering = ["number"]
    prepopulated_fields = {"slug": ["title"]}
