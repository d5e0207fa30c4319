"""The seven goals and who works on each."""

from django.db.models import Count
from django.views.generic import DetailView, ListView

from directory.models import Initiative
from directory.services.showcase import listings_for

from .models import Goal


class GoalListView(ListView):
    template_name = "goals/goal_list.html"
    context_object_name = "goals"

    def get_queryset(self):
        published = Initiative.objects.published_q("initiatives__")
        return Goal.objects.annotate(initiative_count=Count("initiatives", filter=published))


class GoalDetailView(DetailView):
    model = Goal
    template_name = "goals/goal_detail.html"
    context_object_name = "goal"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(listings_for(field="goals", obj=self.object))
        context["goals"] = Goal.objects.only("number", "slug", "title")
        return context
