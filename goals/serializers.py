from rest_framework import serializers

from .models import Goal


class GoalSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Goal
        fields = ["number", "slug", "title", "summary", "paper_section", "url"]

    def get_url(self, obj) -> str:
        return self.context["request"].build_absolute_uri(obj.get_absolute_url())


class GoalRefSerializer(serializers.ModelSerializer):
    """A goal as listings carry it."""

    class Meta:
        model = Goal
        fields = ["slug", "number", "title"]
