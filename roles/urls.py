from django.urls import path

from . import views

app_name = "roles"
urlpatterns = [
    path("", views.RoleListView.as_view(), name="role-list"),
    path("<slug:slug>/", views.RoleDetailView.as_view(), name="role-detail"),
]
