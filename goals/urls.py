from django.urls import path

from . import views

app_name = "goals"
urlpatterns = [
    path("", views.GoalListView.as_view(), name="goal-list"),
    path("<slug:slug>/", views.GoalDetailView.as_view(), name="goal-detail"),
]
