"""/coverage/ (HTML) and /api/v1/coverage/ (JSON): the same numbers."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from directory.models import Organization, Scope
from directory.search.geo import STATE_CHOICES, US_STATES
from directory.services.coverage import coverage, coverage_json


class CoverageForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("", _("All states")), *STATE_CHOICES],
        required=False,
        label=_("State"),
        error_messages={"invalid_choice": _("“%(value)s” is not a U.S. state code.")},
    )
    scope = forms.MultipleChoiceField(
        choices=Scope.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Scope"),
    )

    def clean_state(self):
        return (self.cleaned_data.get("state") or "").upper()


def _form(params) -> CoverageForm:
    data = params.copy()
    if data.get("state"):
        data["state"] = data["state"].upper()
    return CoverageForm(data)


def coverage_page(request):
    form = _form(request.GET)
    valid = form.is_valid()
    state = form.cleaned_data.get("state") if valid else None
    scopes = form.cleaned_data.get("scope", []) if valid else []
    context = {
        "form": form,
        "state": state,
        "state_name": US_STATES.get(state or "", ""),
    }
    if valid:
        context.update(coverage(state=state, scopes=scopes))
        _say_cells(context["rows"])
    return render(request, "directory/coverage.html", context, status=200 if valid else 400)


def _say_cells(rows) -> None:
    """Each cell's words for screen readers ("2 organizations, 1 initiative"), translated once
    per distinct number: the matrix has 371 cells, and two plural blocks in each cost the
    template more than the rest of the page."""
    organizations, initiatives = {}, {}
    for row in rows:
        for cell in row["cells"]:
            o, i = cell["organizations"], cell["initiatives"]
            if o not in organizations:
                organizations[o] = ngettext(
                    "%(counter)s organization", "%(counter)s organizations", o
                ) % {"counter": o}
            if i not in initiatives:
                initiatives[i] = ngettext(
                    "%(counter)s initiative", "%(counter)s initiatives", i
                ) % {"counter": i}
            cell["said"] = f"{organizations[o]}, {initiatives[i]}"


class CoverageAPIView(APIView):
    """Role × goal counts of published organizations and initiatives."""

    @extend_schema(
        summary="Coverage of the 53 roles and 7 goals",
        parameters=[
            OpenApiParameter("state", str, description="Two-letter state code."),
            OpenApiParameter("scope", str, many=True, enum=Scope.values),
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors"),
        },
    )
    def get(self, request):
        form = _form(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        state, scopes = form.cleaned_data["state"], form.cleaned_data["scope"]
        return Response(
            coverage_json(coverage(state=state, scopes=scopes), state=state, scopes=scopes)
        )


def network_list(request):
    """Coalitions and networks, with how many listed organizations belong to each."""
    from django.db.models import Count

    networks = (
        Organization.objects.published()
        .filter(is_network=True)
        .annotate(n=Count("members", filter=Organization.objects.published_q("members__")))
        .order_by("name")
    )
    return render(request, "directory/network_list.html", {"networks": networks})
