"""Curators edit a listing's sources (/curate/sources/<kind>/<slug>/): add, correct, remove.

Every change is kept in the sources' history (django-simple-history) with the curator's name,
and touches the listing, so the change feed and mirrors see it. A source seen later than the
listing's last verification moves ``last_verified_at`` forward to that date.
"""

from django.contrib import messages
from django.forms import inlineformset_factory
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from directory.forms.participation import SourceRecordForm
from directory.models import LISTING_KINDS, SourceRecord
from directory.models.sources import verified_at
from directory.views.curate import curator_required


def _formset_class(model):
    return inlineformset_factory(
        model,
        SourceRecord,
        form=SourceRecordForm,
        fk_name=model._meta.model_name,
        extra=1,
        can_delete=True,
    )


@curator_required
def curate_sources(request, kind: str, slug: str):
    model = LISTING_KINDS.get(kind)
    if model is None:
        raise Http404
    listing = get_object_or_404(model, slug=slug)
    formset_class = _formset_class(model)
    formset = formset_class(request.POST or None, instance=listing, prefix="sources")
    if request.method == "POST" and formset.is_valid():
        for form in formset.forms:
            if form.has_changed() and form.instance.pk is None:
                form.instance.added_by = request.user
        saved = formset.save()
        _verified_by(listing, saved)
        messages.success(request, _("The sources are saved."))
        return redirect(request.path)
    return render(
        request,
        "curate/sources.html",
        {"listing": listing, "formset": formset, "kind": kind},
        status=400 if request.method == "POST" else 200,
    )


def _verified_by(listing, saved: list[SourceRecord]) -> None:
    """A source read after the last verification is a newer verification."""
    newest = max((source.seen_on for source in saved), default=None)
    if newest is None:
        return
    moment = verified_at(newest)
    if listing.last_verified_at is None or listing.last_verified_at < moment:
        listing.last_verified_at = moment
        listing._change_reason = "Verified: a newer source"
        listing.save(update_fields=["last_verified_at", "updated_at"])
