"""Members' own listings: the dashboard, edits through review, withdrawal, confirmation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from directory.models import (
    LISTING_KINDS,
    ChangeRequest,
    ClaimRequest,
    Event,
    Initiative,
    Membership,
    Organization,
    Status,
)
from directory.models.participation import member_listing_q
from directory.services.edit_forms import (
    change_request_diff,
    change_request_initial,
    form_for,
    form_snapshot,
    listing_edit_of,
)
from directory.services.membership import (
    EditWaiting,
    is_member,
    listing_confirm,
    listing_edit,
    listing_withdraw,
    waiting_change,
)
from directory.views.limits import limit_writes, too_many_pending


def my_organizations(user):
    return Organization.objects.filter(memberships__user=user)


def my_initiatives(user):
    return Initiative.objects.filter(organization__memberships__user=user)


def my_listings(model, user):
    """``user``'s listings of one kind (organizations, initiatives or events)."""
    if model is Organization:
        return my_organizations(user)
    return model.objects.filter(organization__memberships__user=user)


@login_required
def dashboard(request):
    """My organizations and initiatives, their status, waiting edits, and what needs attention."""
    user = request.user
    my_role = Membership.objects.filter(organization=OuterRef("pk"), user=user).values("role")
    organizations = (
        my_organizations(user)
        .annotate(my_role=Subquery(my_role[:1]))
        .prefetch_related(
            Prefetch("initiatives", queryset=Initiative.objects.order_by("title")),
            Prefetch("events", queryset=Event.objects.order_by("-starts_at")),
        )
        .order_by("name")
    )
    changes = (
        ChangeRequest.objects.filter(member_listing_q(user))
        .select_related("organization", "initiative", "event")
        .order_by("-created_at")[:50]
    )
    _attach_last_decisions(
        [obj for org in organizations for obj in (org, *org.initiatives.all(), *org.events.all())]
    )
    attention = [
        obj
        for org in organizations
        for obj in [org, *org.initiatives.all()]
        if obj.status == Status.PUBLISHED and obj.is_stale
    ]
    context = {
        "organizations": organizations,
        "changes": changes,
        "claims": ClaimRequest.objects.filter(user=user).select_related("organization"),
        "attention": attention,
    }
    return render(request, "directory/dashboard.html", context)


def _attach_last_decisions(listings) -> None:
    """Give each listing its latest curator decision (`last_decision`), in one query."""
    from django.contrib.contenttypes.models import ContentType

    from directory.models import ModerationDecision

    keys = {(ContentType.objects.get_for_model(obj).pk, obj.pk): obj for obj in listings}
    if not keys:
        return
    query = Q()
    for type_id, pk in keys:
        query |= Q(target_type_id=type_id, target_id=pk)
    for decision in ModerationDecision.objects.filter(query).order_by("decided_at"):
        keys[(decision.target_type_id, decision.target_id)].last_decision = decision


def _member_target(request, kind: str, slug: str):
    """The member's own listing, or 404 (also for other people's listings)."""
    model = LISTING_KINDS.get(kind)
    if model is None:
        raise Http404
    return get_object_or_404(my_listings(model, request.user), slug=slug)


@method_decorator([login_required, limit_writes], name="dispatch")
class ListingEditView(View):
    template_name = "directory/edit_listing.html"

    def get(self, request, kind, slug):
        target = _member_target(request, kind, slug)
        return render(request, self.template_name, self._context(target, self._form(target)))

    def _waiting(self, target):
        if not hasattr(self, "waiting"):
            published = target.status == Status.PUBLISHED
            self.waiting = waiting_change(target) if published else None
        return self.waiting

    def post(self, request, kind, slug):
        target = _member_target(request, kind, slug)
        if target.status == Status.ARCHIVED:
            messages.error(request, _("This listing was withdrawn; ask a curator to restore it."))
            return redirect("directory:dashboard")
        form = self._form(target, request.POST)
        if not form.is_valid():
            return render(request, self.template_name, self._context(target, form), status=400)
        if not form.has_changed():
            messages.info(request, _("Nothing changed, so there was nothing to send."))
            return redirect("directory:dashboard")
        if target.status == Status.PUBLISHED and too_many_pending(request):
            return render(request, self.template_name, self._context(target, form), status=400)
        try:
            change = listing_edit(
                by=request.user, edit=listing_edit_of(form), proposed=form_snapshot(form)
            )
        except EditWaiting as waiting:
            form.add_error(None, waiting.message)
            return render(request, self.template_name, self._context(target, form), status=409)
        if change:
            messages.success(
                request,
                _(
                    "Your changes are waiting for a curator. The public keeps seeing the current "
                    "version until they are approved."
                ),
            )
            return redirect("directory:change-detail", pk=change.pk)
        messages.success(request, _("Saved. Your listing is waiting for review."))
        return redirect("directory:dashboard")

    def _form(self, target, data=None):
        """The form starts from the member's own edit still waiting, not the public version."""
        form = form_for(target, data, user=self.request.user)
        waiting = self._waiting(target)
        if waiting is not None and waiting.submitted_by_id == self.request.user.pk:
            form.initial.update(change_request_initial(form, waiting))
        return form

    def _context(self, target, form):
        waiting = self._waiting(target)
        return {
            "target": target,
            "form": form,
            "is_initiative": isinstance(target, Initiative),
            "waiting": waiting,
            "waiting_is_mine": waiting is not None
            and waiting.submitted_by_id == self.request.user.pk,
        }


@login_required
@limit_writes
def listing_withdraw_view(request, kind, slug):
    """Withdraw a listing. An organization: its owners only, after a confirmation page."""
    target = _member_target(request, kind, slug)
    if isinstance(target, Organization):
        if not is_member(request.user, target, owner=True):
            raise Http404
        if request.method != "POST" or "confirm" not in request.POST:
            return render(
                request,
                "directory/withdraw_organization.html",
                {
                    "organization": target,
                    "initiatives": target.initiatives.exclude(status=Status.ARCHIVED).count(),
                    "events": target.events.exclude(status=Status.ARCHIVED).count(),
                },
            )
    elif request.method != "POST":
        return redirect("directory:dashboard")
    listing_withdraw(by=request.user, target=target)
    messages.success(
        request, _("“%(listing)s” is withdrawn and no longer public.") % {"listing": target}
    )
    return redirect("directory:dashboard")


@require_POST
@login_required
@limit_writes
def listing_confirm_view(request, kind, slug):
    target = _member_target(request, kind, slug)
    listing_confirm(by=request.user, target=target)
    messages.success(
        request,
        _("Thank you for confirming that “%(listing)s” is still accurate.") % {"listing": target},
    )
    return redirect("directory:dashboard")


@login_required
def change_detail(request, pk):
    change = get_object_or_404(
        ChangeRequest.objects.filter(member_listing_q(request.user)).distinct(), pk=pk
    )
    return render(
        request,
        "directory/change_detail.html",
        {"change": change, "diff": change_request_diff(change)},
    )
