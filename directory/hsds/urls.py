"""``/api/hsds/``: the HSDS 3.0 read API (docs/hsds.md).

Paths are the HSDS API reference's (``/services``, ``/services/{id}``); the same paths with a
trailing slash, as in ``/api/v1/``, answer too (left out of the OpenAPI schema).
"""

from django.urls import path

from directory.hsds.views import listings, taxonomies

app_name = "hsds"

ENDPOINTS = [
    ("organizations", listings.OrganizationListView, listings.OrganizationDetailView),
    ("services", listings.ServiceListView, listings.ServiceDetailView),
    (
        "service_at_locations",
        listings.ServiceAtLocationListView,
        listings.ServiceAtLocationDetailView,
    ),
    ("locations", listings.LocationListView, listings.LocationDetailView),
    ("taxonomies", taxonomies.TaxonomyListView, taxonomies.TaxonomyDetailView),
    ("taxonomy_terms", taxonomies.TaxonomyTermListView, taxonomies.TaxonomyTermDetailView),
]

urlpatterns = [path("", listings.RootView.as_view(), name="root")]
for name, list_view, detail_view in ENDPOINTS:
    urlpatterns += [
        path(name, list_view.as_view(), name=name),
        path(f"{name}/<str:id>", detail_view.as_view(), name=f"{name}-detail"),
        path(f"{name}/", list_view.as_view(schema=None)),
        path(f"{name}/<str:id>/", detail_view.as_view(schema=None)),
    ]
