from django.urls import path

from . import account_views as member
from . import views

app_name = "directory"
urlpatterns = [
    path("initiatives/", views.InitiativeListView.as_view(), name="initiative-list"),
    path(
        "initiatives/<slug:slug>/", views.InitiativeDetailView.as_view(), name="initiative-detail"
    ),
    path("embed/initiatives/", views.InitiativeEmbedView.as_view(), name="initiative-embed"),
    path("organizations/", views.OrganizationListView.as_view(), name="organization-list"),
    path(
        "organizations/<slug:slug>/",
        views.OrganizationDetailView.as_view(),
        name="organization-detail",
    ),
    path(
        "submit/organization/",
        member.OrganizationRegisterView.as_view(),
        name="submit-organization",
    ),
    path("submit/initiative/", member.InitiativeSubmitView.as_view(), name="submit-initiative"),
    path("organizations/<slug:slug>/claim/", member.ClaimView.as_view(), name="claim"),
    path("claims/verify/<str:token>/", member.claim_verify_view, name="claim-verify"),
    path("invitations/<str:token>/", member.invitation_accept_view, name="invitation-accept"),
    path("dashboard/", member.dashboard, name="dashboard"),
    path("dashboard/changes/<int:pk>/", member.change_detail, name="change-detail"),
    path("dashboard/organizations/<slug:slug>/invite/", member.invite, name="invite"),
    path(
        "dashboard/<str:kind>/<slug:slug>/edit/",
        member.ListingEditView.as_view(),
        name="listing-edit",
    ),
    path(
        "dashboard/<str:kind>/<slug:slug>/withdraw/",
        member.listing_withdraw_view,
        name="listing-withdraw",
    ),
    path(
        "dashboard/<str:kind>/<slug:slug>/confirm/",
        member.listing_confirm_view,
        name="listing-confirm",
    ),
]
