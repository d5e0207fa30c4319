from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from directory.models import Event, Initiative, Organization
from goals.models import Goal
from roles.models import Role


class InitiativeSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self):
        return Initiative.objects.published().order_by("pk").only("slug", "updated_at")

    def lastmod(self, obj):
        return obj.updated_at


class OrganizationSitemap(InitiativeSitemap):
    def items(self):
        return Organization.objects.published().order_by("pk").only("slug", "updated_at")


class EventSitemap(InitiativeSitemap):
    def items(self):
        return Event.objects.published().order_by("pk").only("slug", "updated_at")


class TaxonomySitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return [*Goal.objects.all(), *Role.objects.all()]


class PageSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return [
            "home",
            "about",
            "directory:initiative-list",
            "directory:organization-list",
            "goals:goal-list",
            "roles:role-list",
            "role-finder",
            "coverage",
            "directory:event-list",
            "network-list",
        ]

    def location(self, item):
        return reverse(item)


SITEMAPS = {
    "pages": PageSitemap,
    "initiatives": InitiativeSitemap,
    "organizations": OrganizationSitemap,
    "events": EventSitemap,
    "taxonomy": TaxonomySitemap,
}
