from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from directory.api.lookups import SlugLookupMixin

from .models import Role, RoleGroup
from .serializers import RoleGroupSerializer, RoleSerializer


@extend_schema_view(list=extend_schema(summary="The 53 roles"))
class RoleViewSet(SlugLookupMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Role.objects.with_group()
    serializer_class = RoleSerializer
    lookup_field = "slug"
    pagination_class = None


@extend_schema_view(list=extend_schema(summary="The 11 role groups"))
class RoleGroupViewSet(SlugLookupMixin, viewsets.ReadOnlyModelViewSet):
    queryset = RoleGroup.objects.prefetch_related("roles")
    serializer_class = RoleGroupSerializer
    lookup_field = "slug"
    pagination_class = None
