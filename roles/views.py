"""The 53 roles by group, and who does each."""

from django.db.models import Count, Prefetch, Q
from django.views.generic import DetailView, ListView

from directory.showcase import listings_for

from .models import Role, RoleGroup


class RoleListView(ListView):
    template_name = "roles/role_list.html"
    context_object_name = "groups"

    def get_queryset(self):
        published = Q(initiatives__status="published")
        roles = Role.objects.annotate(initiative_count=Count("initiatives", filter=published))
        return RoleGroup.objects.prefetch_related(Prefetch("roles", queryset=roles))


class RoleDetailView(DetailView):
    template_name = "roles/role_detail.html"
    context_object_name = "role"

    def get_queryset(self):
        return Role.objects.with_group()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(listings_for(field="roles", obj=self.object))
        context["siblings"] = self.object.group.roles.exclude(pk=self.object.pk)
        return context
