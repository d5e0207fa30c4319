""" "Report a problem" on any listing, no account needed."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

from directory.models import LISTING_KINDS
from directory.views.limits import write_rate


@ratelimit(key="ip", rate=write_rate, method="POST", block=True)
def report_problem(request, kind, slug):
    """ "Report a problem" on any public listing; no account needed."""
    from directory.forms.participation import ReportForm

    model = LISTING_KINDS.get(kind)
    if model is None:
        raise Http404
    target = get_object_or_404(model.objects.published(), slug=slug)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = form.save(commit=False)
        setattr(report, model._meta.model_name, target)
        report.save()
        messages.success(request, _("Thank you. A curator will look at your report."))
        return redirect(target)
    status = 400 if request.method == "POST" else 200
    return render(request, "directory/report.html", {"form": form, "target": target}, status=status)
