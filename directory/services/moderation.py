"""Curators' decisions: one path (`decide`) for the queue, bulk and the admin; compare-and-set, recorded, the submitter told; and what is waiting for them (`waiting_counts`)."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import (
    ChangeRequest,
    ClaimRequest,
    Decision,
    Event,
    Initiative,
    Membership,
    ModerationDecision,
    Organization,
    Report,
    Status,
)
from directory.services.curators import (
    OWN_WORK_ACTIONS,
    SOLE_CURATOR_NOTE,
    is_own_work,
    other_curator_exists,
)
from directory.services.membership import ListingEdit, change_request_approve
from directory.services.notify import language_for_email, send

Action = ModerationDecision.Action


# Which actions make sense for which kind of item.
ACTIONS_FOR = {
    "listing": {"approve", "reject", "request_changes", "archive", "restore", "verify", "revert"},
    "change": {"approve", "reject"},
    "claim": {"approve", "reject"},
    "report": {"resolve", "dismiss"},
}


NEEDS_REASON = {Action.REJECT, Action.REQUEST_CHANGES}


#: The decisions that move a listing's status: from which statuses, to which.
TRANSITIONS = {
    Action.APPROVE: ({Status.PENDING}, Status.PUBLISHED),
    Action.REJECT: ({Status.PENDING}, Status.REJECTED),
    Action.REQUEST_CHANGES: ({Status.PENDING}, Status.REJECTED),
    Action.ARCHIVE: ({Status.PUBLISHED}, Status.ARCHIVED),
    Action.RESTORE: ({Status.ARCHIVED}, Status.PUBLISHED),
}


def status_decision(old: str, new: str) -> str | None:
    """The decision that moves a listing from status ``old`` to ``new`` (a reject for a
    rejection), or None if no decision does."""
    for action, (allowed, status) in TRANSITIONS.items():
        if old in allowed and new == status:
            return action
    return None


class AlreadyDecided(Exception):
    """Someone else decided this item first."""


class EditConflict(ValueError):
    """The listing changed after the member's edit was filed (a curator's direct edit, a
    revert …): approving the edit would overwrite ``fields``. Decide again with ``confirm``."""

    def __init__(self, change: ChangeRequest, fields: list[str]):
        self.change, self.fields = change, fields
        super().__init__(
            _(
                "“%(listing)s” was changed after this edit was sent: approving the edit would "
                "overwrite that. Look at it again and confirm."
            )
            % {"listing": change.target}
        )


def changed_since_filed(change: ChangeRequest) -> list[str]:
    """The fields of the edit that someone changed on the listing after the edit was filed
    (approving it would overwrite them), from the listing's history; [] if none."""
    listing = change.target
    model = type(listing)
    names = []
    for name in change.proposed:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field: nothing to compare
            continue
        names.append(field)
    before = (
        listing.history.filter(history_date__lte=change.created_at)
        .order_by("-history_date", "-history_id")
        .first()
    )
    if before is None:  # no version from when it was filed: the last change is all there is
        changed = listing.updated_at > change.created_at
        return [field.name for field in names if changed and field.concrete]
    kept_m2m = {field.name for field in before._history_m2m_fields}
    fields = []
    for field in names:
        if field.many_to_many:
            if field.name not in kept_m2m:
                continue
            then = {
                getattr(row, f"{field.name[:-1]}_id") for row in getattr(before, field.name).all()
            }
            now = set(getattr(listing, field.name).values_list("pk", flat=True))
        elif field.concrete:
            then, now = getattr(before, field.attname), getattr(listing, field.attname)
        else:
            continue
        if then != now:
            fields.append(field.name)
    return fields


def waiting_counts() -> dict[str, int]:
    """What waits for curators, by kind (the dashboard and the daily digest): submissions,
    edits, claims and reports to decide, and published listings not verified for a year."""
    return {
        "organizations": Organization.objects.filter(status=Status.PENDING).count(),
        "initiatives": Initiative.objects.filter(status=Status.PENDING).count(),
        "events": Event.objects.filter(status=Status.PENDING).count(),
        "edits": ChangeRequest.objects.filter(status=Decision.PENDING).count(),
        "claims": ClaimRequest.objects.filter(status=Decision.PENDING).count(),
        "reports": Report.objects.filter(state=Report.State.OPEN).count(),
        "stale": Organization.objects.published().stale().count()
        + Initiative.objects.published().stale().count(),
    }


def decision_kind(target) -> str:
    """Which ``ACTIONS_FOR`` entry applies to ``target``."""
    return {ChangeRequest: "change", ClaimRequest: "claim", Report: "report"}.get(
        type(target), "listing"
    )


def reason_problem(*, action: str, reason_code: str = "", reason: str = "") -> str | None:
    """Why a decision's reason will not do, or None."""
    if action in NEEDS_REASON and not (reason_code or reason.strip()):
        return _("A reason is required to reject or to ask for changes.")
    if reason_code == ModerationDecision.Reason.OTHER and not reason.strip():
        return _("With the reason “Other”, write the reason in the note.")
    return None


def unpublished_parent(target) -> Organization | Initiative | None:
    """What keeps a published initiative or event from the public: its organization (or, for
    an event, its initiative) when that is not published; else None."""
    if isinstance(target, Initiative | Event):
        if target.organization.status != Status.PUBLISHED:
            return target.organization
        initiative = target.initiative if isinstance(target, Event) else None
        if initiative is not None and initiative.status != Status.PUBLISHED:
            return initiative
    return None


def _english(function, *args):
    """Records (history reasons, decision log) are kept in English, whoever's language is on."""
    with translation.override("en"):
        return function(*args)


def _record(*, by, target, action, reason_code="", reason="") -> ModerationDecision:
    return ModerationDecision.objects.create(
        curator=by,
        action=action,
        reason_code=reason_code or "",
        reason=reason or "",
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        target_repr=_english(str, target)[:300],
    )


def _recipients(target) -> list[str]:
    """Who hears about a decision: the submitter, else the organization's owners."""
    if isinstance(target, ChangeRequest | ClaimRequest):
        user = target.submitted_by if isinstance(target, ChangeRequest) else target.user
        return [user.email] if user and user.email else []
    if target.submitted_by and target.submitted_by.email:
        return [target.submitted_by.email]
    org = target if isinstance(target, Organization) else target.organization
    return list(
        Membership.objects.filter(organization=org, role=Membership.Role.OWNER)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )


def _notify(decision: ModerationDecision, target) -> None:
    """E-mail the decision; it is marked ``notified`` when a message is delivered (now or later)."""
    recipients = _recipients(target)
    waiting_for = unpublished_parent(target) if decision.action == Action.APPROVE else None
    for email in recipients:
        send(
            to=email,
            language=language_for_email(email),
            # Translators: e-mail subject, e.g. "Approved: Civic Nights".
            subject=gettext_lazy("%(action)s: %(target)s"),
            # The label stays lazy, so it is written in the recipient's language.
            subject_params={
                "action": Action(decision.action).label,
                "target": decision.target_repr,
            },
            template="directory/email/decision.txt",
            context={"decision": decision, "target": target, "waiting_for": waiting_for},
            decision_id=decision.pk,
        )


def _notify_reporter(decision: ModerationDecision, report: Report) -> None:
    """Someone who reported a problem and left an address hears what became of it."""
    if not report.email:
        return
    send(
        to=report.email,
        language=language_for_email(report.email),
        # Translators: e-mail subject, e.g. "Your report on Civic Nights".
        subject=gettext_lazy("Your report on %(target)s"),
        subject_params={"target": str(report.target)},
        template="directory/email/report_outcome.txt",
        context={"decision": decision, "report": report},
        decision_id=decision.pk,
    )


def decide(
    *,
    by,
    target,
    action: str,
    reason_code: str = "",
    reason: str = "",
    edit: ListingEdit | None = None,
    version=None,
    confirm: bool = False,
) -> ModerationDecision:
    """Apply one curator decision to a listing, change request, claim or report.

    A curator's own submission, edit or claim is decided by another curator; only when there
    is no other does their decision stand, with ``SOLE_CURATOR_NOTE`` in its reason.

    Approving a member's edit applies ``edit`` (``edit_forms.proposed_edit``); if the listing
    was changed after the edit was filed, it raises ``EditConflict`` unless ``confirm``.
    Reverting a listing brings back ``version`` (one of its history records).
    """
    problem = reason_problem(action=action, reason_code=reason_code, reason=reason)
    if problem:
        raise ValueError(problem)
    if action not in ACTIONS_FOR[decision_kind(target)]:
        raise ValueError(
            _("“%(action)s” is not a decision for this kind of item.") % {"action": action}
        )
    if by is not None and action in OWN_WORK_ACTIONS and is_own_work(by, target):
        if other_curator_exists(by):
            raise ValueError(
                _(
                    "This is your own submission or claim (or your organization’s): another curator must decide it."
                )
            )
        reason = f"{reason.strip()}\n\n{SOLE_CURATOR_NOTE}" if reason.strip() else SOLE_CURATOR_NOTE
    if isinstance(target, ChangeRequest) and action == Action.APPROVE:
        if edit is None:
            raise ValueError("Approving an edit needs the edit (edit_forms.proposed_edit).")
        changed = [] if confirm else changed_since_filed(target)
        if changed:
            raise EditConflict(target, changed)
    if action == Action.REVERT:
        if version is None or version.instance.pk != target.pk:
            raise ValueError(_("Choose a version of this listing to go back to."))
        reason = reason or f"Version of {version.history_date:%Y-%m-%d %H:%M}"
    with transaction.atomic():
        model = type(target)
        locked = model.objects.select_for_update().get(pk=target.pk)
        _apply(by=by, target=locked, action=action, reason=reason, edit=edit, version=version)
        decision = _record(
            by=by, target=locked, action=action, reason_code=reason_code, reason=reason
        )
    if action in (Action.APPROVE, Action.REJECT, Action.REQUEST_CHANGES, Action.REVERT):
        _notify(decision, locked)
    elif action in (Action.RESOLVE, Action.DISMISS):
        _notify_reporter(decision, locked)
    return decision


def _apply(*, by, target, action, reason, edit=None, version=None) -> None:
    now = timezone.now()
    if isinstance(target, Organization | Initiative | Event) and action == Action.REVERT:
        _revert(by=by, target=target, version=version)
        target.refresh_from_db()  # as it is now, for the record and the e-mail
    elif isinstance(target, Organization | Initiative | Event):
        if action == Action.VERIFY:
            target.last_verified_at = now
            target._change_reason = f"Confirmed accurate by curator {by}"
            target.save()
            return
        allowed, new_status = TRANSITIONS[action]
        if action == Action.RESTORE and target.published_at is None:
            raise AlreadyDecided(
                _("“%(item)s” was never published; review it instead.") % {"item": target}
            )
        # Compare-and-set: only one of two concurrent decisions can move the row out of its
        # current status, on every database (SQLite ignores SELECT … FOR UPDATE).
        claimed = (
            type(target).objects.filter(pk=target.pk, status__in=allowed).update(status=new_status)
        )
        if not claimed:
            raise AlreadyDecided(
                # Translators: e.g. "“Civic Nights” is published already."
                _("“%(item)s” is %(status)s already.")
                % {"item": target, "status": target.get_status_display().lower()}
            )
        target.status = new_status
        if action == Action.APPROVE:
            target.last_verified_at = now
        who = f"curator {by}" if by else "the stale-listing rule"
        target._change_reason = f"{_english(str, Action(action).label)} by {who}" + (
            f": {reason}" if reason else ""
        )
        target.save()
    elif isinstance(target, ChangeRequest):
        if not _claim(target, "status", Decision.PENDING, "deciding"):
            raise AlreadyDecided(_("This change was decided already."))
        if action == Action.APPROVE:
            change_request_approve(change=target, by=by, edit=edit)
        else:
            target.status, target.decided_by, target.decided_at = Decision.REJECTED, by, now
            target.reason = reason
            target.save()
    elif isinstance(target, ClaimRequest):
        if not _claim(target, "status", Decision.PENDING, "deciding"):
            raise AlreadyDecided(_("This claim was decided already."))
        if action == Action.APPROVE:
            Membership.objects.get_or_create(
                user=target.user,
                organization=target.organization,
                defaults={"role": Membership.Role.OWNER},
            )
            target.status = Decision.APPROVED
        else:
            target.status = Decision.REJECTED
        target.decided_by, target.decided_at, target.reason = by, now, reason
        target.save()
    elif isinstance(target, Report):
        if not _claim(target, "state", Report.State.OPEN, "deciding"):
            raise AlreadyDecided(_("This report was handled already."))
        target.state = Report.State.RESOLVED if action == Action.RESOLVE else Report.State.DISMISSED
        target.resolved_by, target.resolved_at, target.resolution = by, now, reason
        target.save()
    else:  # pragma: no cover
        raise TypeError(target)


def _revert(*, by, target, version) -> None:
    """Bring a listing back to ``version``: fields, roles, goals and languages (with history).
    Content goes back; whether it is public does not (archive and restore decide that), nor do
    the facts of its verification (when it was last confirmed, when members were asked)."""
    restored = version.instance
    restored.pk = target.pk
    restored.status, restored.published_at = target.status, target.published_at
    restored.last_verified_at = target.last_verified_at
    restored.stale_notice_sent_at = target.stale_notice_sent_at
    restored._change_reason = (
        f"Reverted by curator {by} to the version of {version.history_date:%Y-%m-%d %H:%M}"
    )
    restored.save()
    restored.roles.set(row.role_id for row in version.roles.all())
    restored.goals.set(row.goal_id for row in version.goals.all())
    restored.languages.set(row.language_id for row in version.languages.all())


def _claim(target, field: str, expected: str, marker: str) -> bool:
    """Atomically move ``field`` from ``expected`` to ``marker``; False if someone else did."""
    claimed = (
        type(target).objects.filter(pk=target.pk, **{field: expected}).update(**{field: marker})
    )
    if claimed:
        setattr(target, field, expected)  # the code below sets the final value and saves
    return bool(claimed)
