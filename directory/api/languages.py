"""``/api/v1/languages/``: the ISO 639-1 codes a listing can declare."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from directory.api.lookups import SlugLookupMixin
from directory.models import Language


class LanguageSerializer(serializers.ModelSerializer):
    name = serializers.CharField(help_text="The language's name in the response language.")

    class Meta:
        model = Language
        fields = ["code", "name"]


@extend_schema_view(
    list=extend_schema(summary="Languages listings can declare"),
    retrieve=extend_schema(summary="One language"),
)
class LanguageViewSet(SlugLookupMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Language.objects.all()
    serializer_class = LanguageSerializer
    lookup_field = "code"
    pagination_class = None
