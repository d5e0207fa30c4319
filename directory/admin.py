from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Initiative, Organization

LOCATION_FIELDS = ("postal_code", ("city", "state"), "county", ("latitude", "longitude"), "scope")
LIFECYCLE_FIELDS = ("status", "source", "is_demo", "published_at", "last_verified_at")


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "status", "scope", "state", "source", "is_network", "updated_at"]
    list_filter = [
        "status",
        "scope",
        "source",
        "is_network",
        "is_demo",
        "goals",
        "roles__group",
        "state",
    ]
    search_fields = ["name", "summary", "slug", "website"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["roles", "goals", "networks"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ("name", "slug", "summary", "description", "website", "email", "is_network")}),
        ("Place", {"fields": LOCATION_FIELDS}),
        ("Classification", {"fields": ("roles", "goals", "networks")}),
        ("Lifecycle", {"fields": (*LIFECYCLE_FIELDS, "uuid", "created_at", "updated_at")}),
    ]  # fmt: skip


@admin.register(Initiative)
class InitiativeAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "organization",
        "status",
        "scope",
        "state",
        "welcomes_newcomers",
        "updated_at",
    ]
    list_filter = [
        "status",
        "scope",
        "source",
        "welcomes_newcomers",
        "is_demo",
        "goals",
        "roles__group",
        "roles",
        "state",
    ]
    list_select_related = ["organization"]
    search_fields = ["title", "summary", "slug", "organization__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["organization"]
    filter_horizontal = ["roles", "goals"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ("title", "slug", "organization", "summary", "description", "website")}),
        ("Getting involved", {"fields": ("welcomes_newcomers", "get_involved", "get_involved_url", ("starts_on", "ends_on"))}),
        ("Place", {"fields": LOCATION_FIELDS}),
        ("Classification", {"fields": ("roles", "goals")}),
        ("Lifecycle", {"fields": (*LIFECYCLE_FIELDS, "uuid", "created_at", "updated_at")}),
    ]  # fmt: skip
