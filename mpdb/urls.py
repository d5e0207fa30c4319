"""URL configuration: HTML pages, feeds, crawlers, admin."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from directory.feeds import InitiativeFeed
from directory.sitemaps import SITEMAPS
from directory.views import coverage as coverage_views
from directory.views import pages
from roles.views import RoleFinderView

admin.site.site_header = _("MPDB Directory — curators")
# The admin signs in through allauth, so its rate limits on failed logins protect it too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_title = _("MPDB Directory admin")

urlpatterns = [
    path("", pages.home, name="home"),
    path("about/", pages.about, name="about"),
    path("goals/", include("goals.urls")),
    path("roles/", include("roles.urls")),
    path("get-involved/", RoleFinderView.as_view(), name="role-finder"),
    path("coverage/", coverage_views.coverage_page, name="coverage"),
    path("networks/", coverage_views.network_list, name="network-list"),
    path("", include("directory.urls")),
    path("feeds/initiatives.atom", InitiativeFeed(), name="initiative-feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("api/v1/", include("mpdb.api")),
    path("api/hsds/", include("directory.hsds.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language (the switcher)
    path("admin/", admin.site.urls),
]

handler404 = "directory.views.pages.page_not_found"
handler500 = "mpdb.faults.server_error"  # the database unreachable: 503, not 500
