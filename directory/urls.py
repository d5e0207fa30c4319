from django.urls import path

from directory.views import alerts, curate, events, members, organizations, reports, submissions
from directory.views import public as views
from directory.views.sources import curate_sources

app_name = "directory"
urlpatterns = [
    path("initiatives/", views.InitiativeListView.as_view(), name="initiative-list"),
    path(
        "initiatives/<slug:slug>/", views.InitiativeDetailView.as_view(), name="initiative-detail"
    ),
    path("embed/initiatives/", views.InitiativeEmbedView.as_view(), name="initiative-embed"),
    path("events/", events.EventListView.as_view(), name="event-list"),
    path("events/feed.ics", events.events_feed, name="event-feed"),
    path("events/<slug:slug>/", events.EventDetailView.as_view(), name="event-detail"),
    path("events/<slug:slug>/event.ics", events.event_ics, name="event-ics"),
    path("embed/events/", events.EventEmbedView.as_view(), name="event-embed"),
    path("organizations/", views.OrganizationListView.as_view(), name="organization-list"),
    path(
        "organizations/<slug:slug>/",
        views.OrganizationDetailView.as_view(),
        name="organization-detail",
    ),
    path(
        "submit/organization/",
        submissions.OrganizationRegisterView.as_view(),
        name="submit-organization",
    ),
    path(
        "submit/initiative/", submissions.InitiativeSubmitView.as_view(), name="submit-initiative"
    ),
    path("submit/event/", submissions.EventSubmitView.as_view(), name="submit-event"),
    path("organizations/<slug:slug>/claim/", organizations.ClaimView.as_view(), name="claim"),
    path("claims/verify/<slug:token>/", organizations.claim_verify_view, name="claim-verify"),
    path(
        "invitations/<slug:token>/", organizations.invitation_accept_view, name="invitation-accept"
    ),
    path("report/<str:kind>/<slug:slug>/", reports.report_problem, name="report"),
    path("alerts/subscribe/", alerts.alert_subscribe_view, name="alert-subscribe"),
    path("alerts/confirm/<slug:token>/", alerts.alert_confirm_view, name="alert-confirm"),
    path(
        "alerts/unsubscribe/<slug:token>/", alerts.alert_unsubscribe_view, name="alert-unsubscribe"
    ),
    path("dashboard/", members.dashboard, name="dashboard"),
    path("curate/", curate.curate_dashboard, name="curate"),
    path("curate/queue/", curate.curate_queue, name="curate-queue"),
    path("curate/stale/", curate.curate_stale, name="curate-stale"),
    path("curate/bulk/", curate.curate_bulk, name="curate-bulk"),
    path("curate/decide/<str:kind>/<int:pk>/", curate.curate_decide, name="curate-decide"),
    path("curate/history/<str:kind>/<slug:slug>/", curate.curate_history, name="curate-history"),
    path("curate/sources/<str:kind>/<slug:slug>/", curate_sources, name="curate-sources"),
    path(
        "curate/history/<str:kind>/<slug:slug>/revert/<int:history_id>/",
        curate.curate_revert,
        name="curate-revert",
    ),
    path("dashboard/changes/<int:pk>/", members.change_detail, name="change-detail"),
    path("dashboard/organizations/<slug:slug>/invite/", organizations.invite, name="invite"),
    path("dashboard/organizations/<slug:slug>/members/", organizations.members, name="members"),
    path(
        "dashboard/organizations/<slug:slug>/members/<int:pk>/remove/",
        organizations.membership_remove_view,
        name="membership-remove",
    ),
    path(
        "dashboard/organizations/<slug:slug>/invitations/<int:pk>/revoke/",
        organizations.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path(
        "dashboard/<str:kind>/<slug:slug>/edit/",
        members.ListingEditView.as_view(),
        name="listing-edit",
    ),
    path(
        "dashboard/<str:kind>/<slug:slug>/withdraw/",
        members.listing_withdraw_view,
        name="listing-withdraw",
    ),
    path(
        "dashboard/<str:kind>/<slug:slug>/confirm/",
        members.listing_confirm_view,
        name="listing-confirm",
    ),
]
