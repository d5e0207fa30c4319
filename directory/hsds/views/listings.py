"""The HSDS endpoints of our listings: organizations, services (our initiatives), services at
their locations, and locations (our addition)."""

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from directory.hsds import mapping
from directory.hsds.queries import Located, located, organizations, services
from directory.hsds.views.base import MAX_PROXIMITY_METERS, METERS_PER_MILE, HSDSView
from directory.hsds.views.schema import (
    ID_PATH,
    LOCATION,
    ORGANIZATION,
    PAGE_PARAMETERS,
    SERVICE,
    SERVICE_AT_LOCATION,
    SERVICE_FILTERS,
    STRING,
    SYNC_PARAMETERS,
    TAG,
    detail_schema,
    list_schema,
)
from directory.models import Organization
from directory.search.geo import lookup_zip
from goals.models import Goal
from roles.models import Role


class RootView(HSDSView):
    @extend_schema(
        tags=TAG,
        summary="HSDS: about this API",
        operation_id="hsds_root",
        responses={
            200: {
                "type": "object",
                "required": ["version", "profile", "openapi_url"],
                "properties": {"version": STRING, "profile": STRING, "openapi_url": STRING},
            }
        },
    )
    def get(self, request):
        return Response(
            {
                "version": mapping.HSDS_VERSION,
                "profile": mapping.SPEC_URL,
                "openapi_url": request.build_absolute_uri("/api/schema/"),
            }
        )


class OrganizationListView(HSDSView):
    @list_schema(
        "HSDS: organizations",
        "hsds_organizations_list",
        ORGANIZATION,
        [
            *PAGE_PARAMETERS,
            *SYNC_PARAMETERS,
            OpenApiParameter("full", bool, description="Each with its related records."),
            OpenApiParameter(
                "full_service", bool, description="Each with its services, fully nested."
            ),
        ],
    )
    def get(self, request):
        full, full_service = self.flag("full"), self.flag("full_service")
        qs = organizations(full, full_service)
        if since := self.modified_after():
            qs = qs.filter(updated_at__gte=since)
        if text := self.text("search"):
            qs = qs.search(text)
        return self.page(qs, lambda org: self.document(org, full, full_service))

    def document(self, org, full: bool, full_service: bool) -> dict:
        return mapping.organization_document(
            org,
            self.base,
            full=full or full_service,
            services=getattr(org, "hsds_services", None) if full_service else None,
        )


class OrganizationDetailView(OrganizationListView):
    @detail_schema(
        "HSDS: one organization, with its related records",
        "hsds_organizations_retrieve",
        ORGANIZATION,
        [
            *ID_PATH,
            OpenApiParameter("full_service", bool, description="With its services, fully nested."),
        ],
    )
    def get(self, request, id):
        full_service = self.flag("full_service")
        org = self.detail(organizations(True, full_service), id)
        return Response(self.document(org, True, full_service))


def filter_services(view: HSDSView, qs, prefix: str = ""):
    """The HSDS service filters, for services (or, with a prefix, what links to them)."""
    if since := view.modified_after():
        # Its events are its schedules: a changed event is a changed service document.
        qs = qs.filter(
            Q(**{f"{prefix}updated_at__gte": since})
            | Q(**{f"{prefix}events__updated_at__gte": since})
        ).distinct()
    if organization_id := view.uuid_param("organization_id"):
        qs = qs.filter(**{f"{prefix}organization__uuid": organization_id})
    if term_id := view.uuid_param("taxonomy_term_id"):
        goals = [g.pk for g in Goal.objects.all() if mapping.goal_term_id(g.slug) == term_id]
        roles = [
            r.pk
            for r in Role.objects.select_related("group")
            if term_id in (mapping.role_term_id(r.slug), mapping.group_term_id(r.group.slug))
        ]
        qs = qs.filter(
            Q(**{f"{prefix}goals__in": goals}) | Q(**{f"{prefix}roles__in": roles})
        ).distinct()
    if taxonomy_id := view.uuid_param("taxonomy_id"):
        if taxonomy_id == mapping.GOALS_TAXONOMY_ID:
            qs = qs.filter(**{f"{prefix}goals__isnull": False}).distinct()
        elif taxonomy_id == mapping.ROLES_TAXONOMY_ID:
            qs = qs.filter(**{f"{prefix}roles__isnull": False}).distinct()
        else:
            qs = qs.none()
    if text := view.text("search"):
        qs = qs.search(text)
    return qs


class ServiceListView(HSDSView):
    @list_schema(
        "HSDS: services (our initiatives)",
        "hsds_services_list",
        # With minimal=true an item is only its id and last_modified.
        {
            **SERVICE,
            "required": ["id"],
            "properties": {**SERVICE["properties"], "last_modified": STRING},
        },
        [
            *PAGE_PARAMETERS,
            *SYNC_PARAMETERS,
            *SERVICE_FILTERS,
            OpenApiParameter("full", bool, description="Each fully nested."),
            OpenApiParameter("minimal", bool, description="Only `id` and `last_modified` of each."),
        ],
    )
    def get(self, request):
        full, minimal = self.flag("full"), self.flag("minimal")
        qs = filter_services(self, services(full and not minimal))
        if minimal:
            return self.page(
                qs, lambda s: {"id": str(s.uuid), "last_modified": mapping._iso(s.updated_at)}
            )
        return self.page(qs, lambda s: mapping.service_document(s, self.base, full=full))


class ServiceDetailView(HSDSView):
    @detail_schema("HSDS: one service, fully nested", "hsds_services_retrieve", SERVICE)
    def get(self, request, id):
        return Response(
            mapping.service_document(self.detail(services(True), id), self.base, full=True)
        )


class ServiceAtLocationListView(HSDSView):
    @list_schema(
        "HSDS: services at their locations",
        "hsds_service_at_locations_list",
        SERVICE_AT_LOCATION,
        [
            *PAGE_PARAMETERS,
            *SYNC_PARAMETERS,
            *SERVICE_FILTERS,
            OpenApiParameter("full", bool, description="Each with its service fully nested."),
            OpenApiParameter(
                "postcode",
                {"type": "string", "pattern": "^[0-9]{5}$"},
                description="A 5-digit ZIP code: services there (or, with `proximity`, near it).",
            ),
            OpenApiParameter(
                "proximity",
                {"type": "number", "minimum": 1, "maximum": MAX_PROXIMITY_METERS},
                description="Meters from the centre of `postcode`.",
            ),
        ],
    )
    def get(self, request):
        full = self.flag("full")
        qs = filter_services(self, located(services(full)))
        postcode, proximity = self.text("postcode", 10), self.text("proximity", 20)
        if proximity and not postcode:
            raise ValidationError({"proximity": [_("Give a postcode with it.")]})
        if postcode:
            place = lookup_zip(postcode)
            if place is None:
                raise ValidationError({"postcode": [_("Use a known 5-digit U.S. ZIP code.")]})
            if proximity:
                try:
                    meters = float(proximity)
                except ValueError:
                    meters = -1
                if not 1 <= meters <= MAX_PROXIMITY_METERS:
                    raise ValidationError(
                        {
                            "proximity": [
                                _("Use a distance in meters, up to %(max)s.")
                                % {"max": MAX_PROXIMITY_METERS}
                            ]
                        }
                    )
                qs = qs.near(place, meters / METERS_PER_MILE)
            else:
                qs = qs.filter(postal_code=postcode)
        return self.page(qs, lambda s: self.document(s, full))

    def document(self, initiative, full: bool) -> dict:
        document = mapping.service_at_location_document(initiative, self.base)
        if full:
            document["service"] = mapping.service_document(initiative, self.base, full=True)
        return document


class ServiceAtLocationDetailView(ServiceAtLocationListView):
    @detail_schema(
        "HSDS: one service at its location",
        "hsds_service_at_locations_retrieve",
        SERVICE_AT_LOCATION,
    )
    def get(self, request, id):
        initiative = self.detail(located(services(True)), id)
        return Response(self.document(initiative, True))


class LocationListView(HSDSView):
    """Not in the HSDS 3.0 API reference: the places of organizations and services."""

    @list_schema(
        "HSDS: locations (our addition to the HSDS API)",
        "hsds_locations_list",
        LOCATION,
        [*PAGE_PARAMETERS, *SYNC_PARAMETERS],
    )
    def get(self, request):
        since, text = self.modified_after(), self.text("search")
        parts = []
        for qs in (located(organizations()), located(services())):
            if since:
                qs = qs.filter(updated_at__gte=since)
            if text:
                qs = qs.search(text)
            parts.append(qs)
        return self.page(Located(*parts), self.document)

    def document(self, listing) -> dict:
        org = listing if isinstance(listing, Organization) else listing.organization
        return mapping.location_of(listing, str(org.uuid))


class LocationDetailView(LocationListView):
    @detail_schema(
        "HSDS: one location (our addition to the HSDS API)", "hsds_locations_retrieve", LOCATION
    )
    def get(self, request, id):
        try:
            return Response(self.document(self.detail(located(organizations()), id)))
        except NotFound:
            return Response(self.document(self.detail(located(services()), id)))
