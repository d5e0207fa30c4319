"""``/api/hsds/``: the HSDS 3.0 read API (docs/hsds.md).

Paths are the HSDS API reference's (``/services``, ``/services/{id}``); the same paths with a
trailing slash, as in ``/api/v1/``, answer too (left out of the OpenAPI schema).
"""

from django.urls import path

from directory.hsds import views

app_name = "hsds"

ENDPOINTS = [
    ("organizations", views.OrganizationListView, views.OrganizationDetailView),
    ("services", views.ServiceListView, views.ServiceDetailView),
    ("service_at_locations", views.ServiceAtLocationListView, views.ServiceAtLocationDetailView),
    ("locations", views.LocationListView, views.LocationDetailView),
    ("taxonomies", views.TaxonomyListView, views.TaxonomyDetailView),
    ("taxonomy_terms", views.TaxonomyTermListView, views.TaxonomyTermDetailView),
]

urlpatterns = [path("", views.RootView.as_view(), name="root")]
for name, list_view, detail_view in ENDPOINTS:
    urlpatterns += [
        path(name, list_view.as_view(), name=name),
        path(f"{name}/<str:id>", detail_view.as_view(), name=f"{name}-detail"),
        path(f"{name}/", list_view.as_view(schema=None)),
        path(f"{name}/<str:id>/", detail_view.as_view(schema=None)),
    ]
