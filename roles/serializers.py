from rest_framework import serializers

from .models import Role, RoleGroup


class RoleGroupSerializer(serializers.ModelSerializer):
    roles = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")

    class Meta:
        model = RoleGroup
        fields = [
            "slug",
            "letter",
            "name",
            "kind",
            "order",
            "summary",
            "function_number",
            "function_name",
            "paper_section",
            "roles",
        ]


class RoleSerializer(serializers.ModelSerializer):
    group = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    kind = serializers.CharField(source="group.kind", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Role
        fields = ["number", "slug", "name", "group", "kind", "summary", "paper_section", "url"]

    def get_url(self, obj) -> str:
        return self.context["request"].build_absolute_uri(obj.get_absolute_url())


class RoleRefSerializer(serializers.ModelSerializer):
    """A role as listings carry it."""

    group = serializers.SlugRelatedField(read_only=True, slug_field="slug")

    class Meta:
        model = Role
        fields = ["slug", "name", "group"]
