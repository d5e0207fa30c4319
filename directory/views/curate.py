"""The curators' area (/curate/): a queue of everything waiting, oldest first, with duplicates and
diffs inline; decisions with reasons; history, comparison and revert; stale listings."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from directory.models import (
    LISTING_KINDS,
    LISTING_TYPES,
    ChangeRequest,
    ClaimRequest,
    Decision,
    Event,
    Initiative,
    ModerationDecision,
    Organization,
    Report,
    Status,
)
from directory.services.curators import is_own_work
from directory.services.duplicates import possible_duplicates
from directory.services.edit_forms import change_request_diff, decision_edit, edit_labels
from directory.services.moderation import (
    ACTIONS_FOR,
    NEEDS_REASON,
    AlreadyDecided,
    EditConflict,
    changed_since_filed,
    decide,
    decision_kind,
    reason_problem,
    unpublished_parent,
    waiting_counts,
)
from directory.validators import CleanTextFormMixin


def curator_required(view):
    """Curators only: anyone signed out is sent to sign in; a signed-in account without the
    permission gets a 403 page (sending it to sign in again would loop back here forever)."""
    return login_required(permission_required("directory.moderate", raise_exception=True)(view))


Action = ModerationDecision.Action

#: What ``/curate/decide/<kind>/<pk>/`` decides: a listing (``LISTING_TYPES``), an edit, a
#: claim or a report.
KINDS = {**LISTING_TYPES, "change": ChangeRequest, "claim": ClaimRequest, "report": Report}
QUEUE_SIZE = 50


class DecisionForm(CleanTextFormMixin, forms.Form):
    action = forms.ChoiceField(
        choices=[
            (a, a)
            for a in (
                Action.APPROVE,
                Action.REJECT,
                Action.REQUEST_CHANGES,
                Action.RESOLVE,
                Action.DISMISS,
                Action.ARCHIVE,
                Action.RESTORE,
                Action.VERIFY,
            )
        ]
    )
    reason_code = forms.ChoiceField(
        choices=ModerationDecision.Reason.choices, required=False, label=gettext_lazy("Reason")
    )
    reason = forms.CharField(
        required=False,
        max_length=4000,
        label=gettext_lazy("Note to the submitter"),
        widget=forms.Textarea,
    )

    def clean(self):
        data = super().clean()
        if data.get("action") not in NEEDS_REASON:
            # The queue's reason list always sends a value; it only explains a refusal.
            data["reason_code"] = ""
        if "action" in data and "reason" in data:
            problem = reason_problem(**data)
            if problem:
                self.add_error("reason", problem)
        return data


def _pending():
    """Everything waiting for a curator, oldest first within each kind."""
    return {
        "organization": Organization.objects.filter(status=Status.PENDING)
        .select_related("submitted_by")
        .prefetch_related("roles", "goals")
        .order_by("created_at")[:QUEUE_SIZE],
        "initiative": Initiative.objects.filter(status=Status.PENDING)
        .select_related("organization", "submitted_by")
        .prefetch_related("roles", "goals")
        .order_by("created_at")[:QUEUE_SIZE],
        "event": Event.objects.filter(status=Status.PENDING)
        .select_related("organization", "submitted_by")
        .prefetch_related("roles", "goals")
        .order_by("created_at")[:QUEUE_SIZE],
        "change": ChangeRequest.objects.filter(status=Decision.PENDING)
        .select_related("organization", "initiative", "submitted_by")
        .order_by("created_at")[:QUEUE_SIZE],
        "claim": ClaimRequest.objects.filter(status=Decision.PENDING)
        .select_related("organization", "user")
        .order_by("created_at")[:QUEUE_SIZE],
        "report": Report.objects.filter(state=Report.State.OPEN)
        .select_related("organization", "initiative")
        .order_by("created_at")[:QUEUE_SIZE],
    }


@curator_required
def curate_dashboard(request):
    counts = waiting_counts()
    recent = ModerationDecision.objects.select_related("curator")[:20]
    return render(request, "curate/dashboard.html", {"counts": counts, "recent": recent})


@curator_required
def curate_queue(request):
    queue = _pending()
    member_of = set(request.user.memberships.values_list("organization_id", flat=True))
    items = []
    for kind, rows in queue.items():
        for obj in rows:
            item = {"kind": kind, "obj": obj, "own": is_own_work(request.user, obj, member_of)}
            if kind in ("organization", "initiative", "event"):
                item["duplicates"] = possible_duplicates(obj)
                item["waits_for"] = unpublished_parent(obj)
            elif kind == "change":
                item["diff"] = change_request_diff(obj)
                changed = changed_since_filed(obj)
                item["changed_since"] = ", ".join(edit_labels(obj, changed))
            items.append(item)
    items.sort(key=lambda item: item["obj"].created_at)
    return render(
        request,
        "curate/queue.html",
        {"items": items, "reasons": ModerationDecision.Reason.choices[1:]},
    )


@require_POST
@curator_required
def curate_decide(request, kind, pk):
    model = KINDS.get(kind)
    if model is None:
        raise Http404
    target = get_object_or_404(model, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _decision_problem(form, _("Choose an action.")))
        return redirect(_safe_next(request) or "directory:curate-queue")
    targets = [target]
    if request.POST.get("with_parent") and form.cleaned_data["action"] == Action.APPROVE:
        # "Approve with its organization": the organization (or an event's initiative) first,
        # each its own decision, so that the item goes public at once.
        parent = unpublished_parent(target)
        if parent is not None and parent.status == Status.PENDING:
            targets.insert(0, parent)
    action, confirm = form.cleaned_data["action"], request.POST.get("confirm") == "1"
    for item in targets:
        try:
            edit = decision_edit(item, action)
            decide(by=request.user, target=item, edit=edit, confirm=confirm, **form.cleaned_data)
        except AlreadyDecided as exc:
            messages.warning(request, str(exc))
        except EditConflict as conflict:
            return _confirm_overwrite(request, conflict, form)
        except ValueError as exc:
            # Translators: why a decision could not be applied to an item.
            messages.error(request, _("“%(item)s”: %(problem)s") % {"item": item, "problem": exc})
            break
        else:
            label = Action(action).label
            # Translators: a decision just taken, e.g. "Approved: Civic Nights".
            messages.success(request, _("%(action)s: %(item)s") % {"action": label, "item": item})
            item.refresh_from_db()  # and its organization: approved just before, perhaps
            _say_what_waits(request, action, item)
    return redirect(_safe_next(request) or "directory:curate-queue")


def _confirm_overwrite(request, conflict: EditConflict, form):
    """The listing changed after the member's edit was filed: show what approving would
    overwrite, and ask again (the same decision, with ``confirm=1``)."""
    diff = {row["field"]: row for row in change_request_diff(conflict.change)}
    rows = [
        diff.get(name) or {"field": name, "label": label, "current": None, "proposed": None}
        for name, label in zip(
            conflict.fields, edit_labels(conflict.change, conflict.fields), strict=True
        )
    ]
    return render(
        request,
        "curate/confirm_overwrite.html",
        {
            "change": conflict.change,
            "listing": conflict.change.target,
            "rows": rows,
            "decision": form.cleaned_data,
            "next": _safe_next(request) or "",
        },
        status=409,
    )


def _say_what_waits(request, action: str, target) -> None:
    """An approved initiative or event whose organization is not public yet is not public
    either: say so, rather than let "Approved" suggest it is live."""
    parent = unpublished_parent(target) if action == Action.APPROVE else None
    if parent is not None:
        messages.info(
            request,
            _("“%(item)s” will be public as soon as “%(parent)s” is published too.")
            % {"item": target, "parent": parent},
        )


@require_POST
@curator_required
def curate_bulk(request):
    """Approve or reject several queue items, or resolve or dismiss several reports, at once
    (each one its own decision). Items the action does not apply to are left alone, counted."""
    form = DecisionForm(request.POST)
    selected = request.POST.getlist("item")
    if not form.is_valid() or not selected:
        messages.error(request, _decision_problem(form, _("Select items and an action.")))
        return redirect("directory:curate-queue")
    action = form.cleaned_data["action"]
    done, skipped, problems, waiting = 0, 0, [], []
    for token in selected:
        kind, _sep, pk = token.partition(":")
        model = KINDS.get(kind)
        target = (
            model.objects.filter(pk=pk).first() if model and pk.isascii() and pk.isdigit() else None
        )
        if target is None:
            continue
        if action not in ACTIONS_FOR[decision_kind(target)]:
            skipped += 1
            continue
        try:
            edit = decision_edit(target, action)
            decide(by=request.user, target=target, edit=edit, **form.cleaned_data)
            done += 1
        except (AlreadyDecided, ValueError) as exc:
            problems.append(_("%(item)s: %(problem)s") % {"item": target, "problem": exc})
        else:
            if action == Action.APPROVE and unpublished_parent(target) is not None:
                waiting.append(target)
    messages.success(
        request, ngettext("%(count)s decided.", "%(count)s decided.", done) % {"count": done}
    )
    if skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)s selected item does not take this action and was left as it was "
                "(reports are resolved or dismissed; listings, edits and claims approved or "
                "rejected).",
                "%(count)s selected items do not take this action and were left as they were "
                "(reports are resolved or dismissed; listings, edits and claims approved or "
                "rejected).",
                skipped,
            )
            % {"count": skipped},
        )
    if waiting:
        messages.info(
            request,
            _("Approved, public as soon as their organization is published too: %(items)s")
            % {"items": ", ".join(f"“{item}”" for item in waiting)},
        )
    for problem in problems:
        messages.warning(request, problem)
    return redirect("directory:curate-queue")


def _decision_problem(form, default: str) -> str:
    """What is wrong with a decision: ``default`` unless the note itself was refused."""
    if form.is_bound and "reason" in form.errors and "action" not in form.errors:
        # Translators: a refused note to the submitter, e.g. "Note to the submitter: Remove…".
        return _("%(field)s: %(problem)s") % {
            "field": form.fields["reason"].label,
            "problem": " ".join(form.errors["reason"]),
        }
    return default


def _safe_next(request) -> str | None:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return None


def _listing(kind: str, slug: str):
    model = LISTING_KINDS.get(kind)
    if model is None:
        raise Http404
    return get_object_or_404(model, slug=slug)


PLACE_FIELDS = ("postal_code", "city", "state")
HISTORY_FIELDS = {
    Organization: [
        "name",
        "summary",
        "description",
        "website",
        "email",
        *PLACE_FIELDS,
        "scope",
        "status",
        "is_network",
        "last_verified_at",
    ],
    Initiative: [
        "title",
        "summary",
        "description",
        "website",
        "get_involved",
        "get_involved_url",
        "welcomes_newcomers",
        *PLACE_FIELDS,
        "scope",
        "status",
        "starts_on",
        "ends_on",
        "last_verified_at",
    ],
    Event: [
        "title",
        "summary",
        "description",
        *Event.WHEN_FIELDS,
        "mode",
        *Event.ATTENDING_FIELDS,
        *PLACE_FIELDS,
        "status",
    ],
}


M2M_HISTORY = ("roles", "goals", "languages")


def _m2m_slugs(record, field: str) -> str:
    related = (getattr(row, field[:-1]) for row in getattr(record, field).all())
    return ", ".join(sorted(obj.natural_key()[0] for obj in related))


@curator_required
def curate_history(request, kind, slug):
    """Every version of a listing; any two side by side; revert to one."""
    target = _listing(kind, slug)
    records = list(target.history.select_related("history_user").order_by("-history_date"))
    by_id = {str(r.history_id): r for r in records}
    a = by_id.get(request.GET.get("a", "")) or (records[1] if len(records) > 1 else None)
    b = by_id.get(request.GET.get("b", "")) or (records[0] if records else None)
    rows = []
    if a and b:
        for field in [*HISTORY_FIELDS[type(target)], *M2M_HISTORY]:
            old = _m2m_slugs(a, field) if field in M2M_HISTORY else getattr(a, field)
            new = _m2m_slugs(b, field) if field in M2M_HISTORY else getattr(b, field)
            rows.append({"field": field, "a": old, "b": new, "changed": old != new})
    decisions = ModerationDecision.objects.filter(
        target_type__model=type(target)._meta.model_name, target_id=target.pk
    )
    return render(
        request,
        "curate/history.html",
        {
            "target": target,
            "kind": kind,
            "records": records,
            "a": a,
            "b": b,
            "rows": rows,
            "decisions": decisions,
        },
    )


@require_POST
@curator_required
def curate_revert(request, kind, slug, history_id):
    """Bring a listing back to an earlier version: fields, roles and goals (with history)."""
    target = _listing(kind, slug)
    record = get_object_or_404(target.history, history_id=history_id)
    decide(by=request.user, target=target, action=Action.REVERT, version=record)
    target.refresh_from_db()
    messages.success(
        request,
        _("“%(listing)s” is back to the version of %(date)s.")
        % {"listing": target, "date": f"{record.history_date:%Y-%m-%d %H:%M}"},
    )
    return redirect("directory:curate-history", kind=kind, slug=target.slug)


@curator_required
def curate_stale(request):
    """Published listings nobody has confirmed for a year."""
    listings = [
        *Organization.objects.published()
        .stale()
        .prefetch_related("sources")
        .order_by("last_verified_at")[:100],
        *Initiative.objects.published()
        .stale()
        .prefetch_related("sources")
        .order_by("last_verified_at")[:100],
    ]
    return render(request, "curate/stale.html", {"listings": listings})
