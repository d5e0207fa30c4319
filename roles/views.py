"""The 53 roles by group, and who does each."""

from django.db.models import Count, F, Prefetch
from django.views.generic import DetailView, ListView, TemplateView

from directory.models import Initiative
from directory.services.showcase import listings_for

from .finder import recommend
from .models import FinderAnswer, Role, RoleGroup


class RoleListView(ListView):
    template_name = "roles/role_list.html"
    context_object_name = "groups"

    def get_queryset(self):
        published = Initiative.objects.published_q("initiatives__")
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


class RoleFinderView(TemplateView):
    """/get-involved/: a few questions, then the roles that fit and work nearby to join.

    Answers live in the query string, so results can be shared and nothing is stored.
    """

    template_name = "roles/role_finder.html"

    def get_context_data(self, **kwargs):
        from directory.models import Initiative
        from directory.search.geo import lookup_zip

        context = super().get_context_data(**kwargs)
        params = self.request.GET
        answers = list(FinderAnswer.objects.all())
        chosen = [a for a in answers if a.slug in params.getlist(a.kind)]
        near = params.get("near", "").strip()
        place = lookup_zip(near) if near else None
        context.update(
            questions=[
                (kind, label, [(a, a in chosen) for a in answers if a.kind == kind])
                for kind, label in FinderAnswer.Kind.choices
            ],
            near=near,
            near_error=bool(near) and place is None,
            asked=bool(chosen),
        )
        recommendations = recommend(chosen)
        if recommendations:
            role_ids = [r.role.pk for r in recommendations]
            through = Initiative.roles.through.objects.filter(role_id__in=role_ids)
            nearby = Initiative.objects.published().filter(
                welcomes_newcomers=True, pk__in=through.values("initiative_id")
            )
            if place is not None:
                nearby = nearby.near(place, 50, include_national=True).order_by(
                    F("distance").asc(nulls_last=True), "title"
                )
            else:
                nearby = nearby.filter(scope__in=["national", "online"]).order_by("title")
            by_role = dict(zip(role_ids, recommendations, strict=True))
            for initiative in nearby.for_list()[:200]:
                for role in initiative.roles.all():
                    rec = by_role.get(role.pk)
                    if rec and len(rec.initiatives) < 3:
                        rec.initiatives.append(initiative)
        context["recommendations"] = recommendations
        return context
