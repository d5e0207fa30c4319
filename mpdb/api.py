"""The one DRF router: ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from directory.api.languages import LanguageViewSet
from directory.api.listings import EventViewSet, InitiativeViewSet, OrganizationViewSet
from directory.api.views import ChangesView, SubmissionView
from directory.views.coverage import CoverageAPIView
from directory.webhooks.api import WebhookEndpointViewSet
from goals.api import GoalViewSet
from roles.api import RoleGroupViewSet, RoleViewSet

app_name = "api"

router = DefaultRouter()
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("events", EventViewSet, basename="event")
router.register("roles", RoleViewSet, basename="role")
router.register("role-groups", RoleGroupViewSet, basename="role-group")
router.register("goals", GoalViewSet, basename="goal")
router.register("languages", LanguageViewSet, basename="language")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("changes/", ChangesView.as_view(), name="changes"),
    path("coverage/", CoverageAPIView.as_view(), name="coverage"),
    path("submissions/", SubmissionView.as_view(), name="submissions"),
    *router.urls,
]
