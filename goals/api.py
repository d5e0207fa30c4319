from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from directory.api.lookups import SlugLookupMixin

from .models import Goal
from .serializers import GoalSerializer


@extend_schema_view(list=extend_schema(summary="The seven goals"))
class GoalViewSet(SlugLookupMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Goal.objects.all()
    serializer_class = GoalSerializer
    lookup_field = "slug"
    pagination_class = None
