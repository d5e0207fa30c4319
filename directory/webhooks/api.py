"""``/api/v1/webhooks/``: a partner's key registers endpoints and reads their delivery log.

Every endpoint belongs to the key that registered it; another key sees a 404.
"""

import json
import uuid

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework_api_key.permissions import HasAPIKey

from directory.api.throttles import api_key_of
from directory.api.views import ERRORS, StandardPagination
from directory.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from directory.validators import CleanTextSerializerMixin
from directory.webhooks.addresses import url_problem
from directory.webhooks.services import (
    MAX_ENDPOINTS_PER_KEY,
    endpoint_create,
    endpoint_ping,
    endpoint_resume,
)

KEY_REQUIRED = [{"ApiKeyAuth": []}]
DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}}
NO_KEY = {401: OpenApiResponse(DETAIL, description="No valid API key was sent.")}
TEXT_FIELDS = ("url", "description", "contact_email")
MISSING = {404: OpenApiResponse(DETAIL, description="None of your endpoints has this id.")}


class APIKeyScheme(BaseAuthentication):
    """Names the scheme only (``HasAPIKey`` checks the key), so that a request without a valid
    key is answered 401 with ``WWW-Authenticate: Api-Key`` rather than 403."""

    def authenticate(self, request):
        return None

    def authenticate_header(self, request) -> str:
        return "Api-Key"


class WebhookEndpointSerializer(CleanTextSerializerMixin, serializers.ModelSerializer):
    """A URL that receives signed POSTs for the events it chose."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    url = serializers.URLField(
        max_length=500,
        help_text="Where deliveries are POSTed: http(s), on the public internet.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        min_length=1,
        max_length=len(WebhookEvent.choices),
        help_text="The events to receive.",
    )
    secret = serializers.CharField(
        read_only=True, help_text="Signs every delivery (X-MPDB-Signature); keep it private."
    )
    paused = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "contact_email",
            "secret",
            "paused",
            "paused_at",
            "pause_reason",
            "failing_since",
            "created_at",
        ]
        read_only_fields = ["paused_at", "pause_reason", "failing_since", "created_at"]
        extra_kwargs = {
            "contact_email": {"help_text": "Told by e-mail when the endpoint is paused."},
            "description": {"required": False},
        }

    def to_internal_value(self, data):
        # DRF would take 0 for "0"; the schema says strings, so anything else is refused.
        if hasattr(data, "get"):
            wrong = [
                name for name in TEXT_FIELDS if name in data and not isinstance(data[name], str)
            ]
            if wrong:
                raise serializers.ValidationError(
                    {name: [_("Not a valid string.")] for name in wrong}
                )
        return super().to_internal_value(data)

    def get_paused(self, obj) -> bool:
        """True after a day of failures (or a curator's pause): nothing is sent until resumed."""
        return obj.is_paused

    def validate_url(self, value: str) -> str:
        problem = url_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        return sorted(set(value))


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event for one endpoint, and every attempt to send it."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    payload = serializers.SerializerMethodField()
    attempt_log = serializers.ListField(
        child=serializers.DictField(),
        help_text="Every attempt: `at`, `status_code` (null: no answer), `error`, `duration_ms` "
        "(null: the attempt never finished; it was sent again).",
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "state",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "attempt_log",
            "payload",
        ]
        read_only_fields = fields

    def get_payload(self, obj) -> dict:
        """The body sent (as sent every time; only the signature headers change)."""
        return json.loads(obj.body)


@extend_schema_view(
    list=extend_schema(
        summary="Your webhook endpoints (API key required)",
        responses={200: WebhookEndpointSerializer(many=True), **NO_KEY},
        auth=KEY_REQUIRED,
    ),
    create=extend_schema(
        summary="Register a webhook endpoint (API key required)",
        responses={201: WebhookEndpointSerializer, **ERRORS, **NO_KEY},
        auth=KEY_REQUIRED,
    ),
    retrieve=extend_schema(
        summary="One of your webhook endpoints",
        responses={200: WebhookEndpointSerializer, **NO_KEY, **MISSING},
        auth=KEY_REQUIRED,
    ),
    partial_update=extend_schema(
        summary="Change an endpoint's URL, events, description or contact",
        responses={200: WebhookEndpointSerializer, **ERRORS, **NO_KEY, **MISSING},
        auth=KEY_REQUIRED,
    ),
    destroy=extend_schema(
        summary="Delete an endpoint and its delivery log",
        responses={204: None, **NO_KEY, **MISSING},
        auth=KEY_REQUIRED,
    ),
)
class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """A partner's webhook endpoints, their delivery log, resume and ping."""

    authentication_classes = [APIKeyScheme]
    permission_classes = [HasAPIKey]
    serializer_class = WebhookEndpointSerializer
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"  # any id reaches the view, so a bad one gets a JSON 404
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    pagination_class = None  # a key has at most MAX_ENDPOINTS_PER_KEY

    def get_queryset(self):
        return WebhookEndpoint.objects.filter(key=api_key_of(self.request))

    def get_object(self):
        try:
            uuid.UUID(self.kwargs[self.lookup_url_kwarg])
        except ValueError:
            raise NotFound(_("You have no webhook endpoint with this id.")) from None
        return super().get_object()

    def perform_create(self, serializer):
        key = api_key_of(self.request)
        with transaction.atomic():
            if WebhookEndpoint.objects.filter(key=key).count() >= MAX_ENDPOINTS_PER_KEY:
                raise serializers.ValidationError(
                    {
                        "url": [
                            _("A key may register at most %(max)s endpoints.")
                            % {"max": MAX_ENDPOINTS_PER_KEY}
                        ]
                    }
                )
            serializer.instance = endpoint_create(key=key, **serializer.validated_data)

    @extend_schema(
        summary="Resume a paused endpoint; what waited is sent again",
        request=None,
        responses={200: WebhookEndpointSerializer, **NO_KEY, **MISSING},
        auth=KEY_REQUIRED,
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, id=None):
        endpoint = self.get_object()
        endpoint_resume(endpoint)
        return Response(self.get_serializer(endpoint).data)

    @extend_schema(
        summary="Send a signed test delivery (event `ping`)",
        request=None,
        responses={202: WebhookDeliverySerializer, **NO_KEY, **MISSING},
        auth=KEY_REQUIRED,
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, id=None):
        delivery = endpoint_ping(self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="The endpoint's delivery log, newest first",
        request=None,
        responses={200: WebhookDeliverySerializer(many=True), **NO_KEY, **MISSING},
        auth=KEY_REQUIRED,
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=StandardPagination,
        serializer_class=WebhookDeliverySerializer,
    )
    def deliveries(self, request, id=None):
        endpoint = self.get_object()
        page = self.paginate_queryset(endpoint.deliveries.order_by("-created_at", "-id"))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
