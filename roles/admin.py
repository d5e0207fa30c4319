from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from .models import FinderAnswer, FinderWeight, Role, RoleGroup


class RoleInline(TranslationTabularInline):
    model = Role
    fields = ["number", "name", "slug", "summary"]
    extra = 0
    ordering = ["number"]


@admin.register(RoleGroup)
class RoleGroupAdmin(TranslationAdmin):
    list_display = ["letter", "name", "kind", "function_name", "role_count"]
    list_display_links = ["name"]
    list_filter = ["kind"]
    search_fields = ["name", "summary", "slug"]
    ordering = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RoleInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_role_count=Count("roles"))

    @admin.display(description=_("roles"), ordering="_role_count")
    def role_count(self, obj):
        return obj._role_count


@admin.register(Role)
class RoleAdmin(TranslationAdmin):
    list_display = ["number", "name", "group", "slug"]
    list_display_links = ["name"]
    list_filter = ["group__kind", "group"]
    list_select_related = ["group"]
    search_fields = ["name", "summary", "slug", "group__name"]
    ordering = ["number"]
    prepopulated_fields = {"slug": ["name"]}


class FinderWeightInline(admin.TabularInline):
    model = FinderWeight
    extra = 1
    autocomplete_fields = ["role"]


@admin.register(FinderAnswer)
class FinderAnswerAdmin(TranslationAdmin):
    """The role finder's answers and how strongly each points to roles (curators tune these)."""

    list_display = ["label", "kind", "slug", "order"]
    list_filter = ["kind"]
    search_fields = ["label", "slug"]
    inlines = [FinderWeightInline]
