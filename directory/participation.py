"""What members do with their listings: register, submit, edit, withdraw, claim, invite.

Keyword-only service functions, each one transaction (STYLE.md). Views stay thin.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .forms import EventForm, InitiativeForm, OrganizationForm
from .models import (
    ChangeRequest,
    ClaimRequest,
    Decision,
    Event,
    Initiative,
    Invitation,
    Membership,
    Organization,
    Source,
    Status,
)
from .notify import send
from .services import listing_save_new

SNAPSHOT_SKIP = {"homepage", "organization"}


def is_member(user, organization: Organization, *, owner: bool = False) -> bool:
    if not user.is_authenticated:
        return False
    members = organization.memberships.filter(user=user)
    if owner:
        members = members.filter(role=Membership.Role.OWNER)
    return members.exists()


@transaction.atomic
def organization_register(*, by, form: OrganizationForm) -> Organization:
    """A new organization, pending review, with its registrant as owner."""
    org = form.save(commit=False)
    org.status, org.source, org.submitted_by = Status.PENDING, Source.SELF, by
    listing_save_new(org, text=org.name, reason=f"Registered by {by.email}", save_m2m=form.save_m2m)
    Membership.objects.create(user=by, organization=org, role=Membership.Role.OWNER)
    return org


@transaction.atomic
def initiative_create(*, by, form: InitiativeForm) -> Initiative:
    """A new initiative of one of the member's organizations, pending review."""
    initiative = form.save(commit=False)
    initiative.status, initiative.source, initiative.submitted_by = (
        Status.PENDING, Source.SELF, by,
    )  # fmt: skip
    listing_save_new(
        initiative, text=initiative.title, reason=f"Submitted by {by.email}",
        save_m2m=form.save_m2m,
    )  # fmt: skip
    return initiative


def form_snapshot(form) -> dict[str, list[str]]:
    """The submitted values of a form's fields, as JSON (to re-bind the form later)."""
    return {
        name: form.data.getlist(form.add_prefix(name))
        for name in form.fields
        if name not in SNAPSHOT_SKIP
    }


def form_for(target, data=None, *, user=None):
    """The member's form for ``target``; initiatives and events offer ``user``'s organizations."""
    if isinstance(target, Organization):
        return OrganizationForm(data, instance=target)
    form_class = EventForm if isinstance(target, Event) else InitiativeForm
    return form_class(data, instance=target, user=user)


def waiting_change(target) -> ChangeRequest | None:
    """The edit to this published listing that waits for a curator, if any (one at most)."""
    return ChangeRequest.objects.filter(
        **{target._meta.model_name: target}, status=Decision.PENDING
    ).first()


def change_request_initial(form, change: ChangeRequest) -> dict:
    """A waiting edit's values as ``form``'s initial values, so a second edit continues it.

    Given as Python values (as the form's fields read them), so that ``form.has_changed()``
    tells whether anything differs from the waiting edit.
    """
    data = MultiValueDict(change.proposed)
    initial = {}
    for name, field in form.fields.items():
        if name not in change.proposed or field.disabled:
            continue
        raw = field.widget.value_from_datadict(data, {}, form.add_prefix(name))
        try:
            initial[name] = field.to_python(raw)
        except ValidationError:  # no longer valid (e.g. a removed role): shown as it was
            initial[name] = raw
    return initial


class EditWaiting(Exception):
    """Another member's edit to this published listing is waiting for a curator."""

    def __init__(self, change: ChangeRequest | None):
        self.change = change
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.change is None:
            return _("Another edit to this listing is waiting for a curator.")
        # Members do not see each other's addresses: the date says which edit it is.
        return _(
            "Another member's edit to this listing, sent on %(when)s, is waiting for a curator. "
            "You can send yours once it has been decided; what you typed is kept below."
        ) % {"when": date_format(timezone.localtime(self.change.created_at), "DATE_FORMAT")}


@transaction.atomic
def listing_edit(*, by, target, form) -> ChangeRequest | None:
    """Apply a member's edit, or hold it for a curator if the listing is published.

    Published: the public keeps seeing the current version; a ChangeRequest holds the edit.
    Pending: edited in place. Rejected: edited and sent back for review (status pending).
    """
    if target.status == Status.PUBLISHED:
        field = target._meta.model_name
        # A newer edit replaces an older one of the same member still waiting, so curators see
        # one current diff. Another member's waiting edit is never replaced: theirs was made
        # without seeing this one, and approving both would let one silently undo the other.
        ChangeRequest.objects.filter(
            **{field: target}, submitted_by=by, status=Decision.PENDING
        ).update(status=Decision.WITHDRAWN, decided_at=timezone.now(), reason="Replaced")
        waiting = ChangeRequest.objects.filter(**{field: target}, status=Decision.PENDING).first()
        if waiting is not None:
            raise EditWaiting(waiting)
        try:
            with transaction.atomic():  # the constraint decides between two members at once
                return ChangeRequest.objects.create(
                    **{field: target}, proposed=form_snapshot(form), submitted_by=by
                )
        except IntegrityError:
            waiting = ChangeRequest.objects.filter(
                **{field: target}, status=Decision.PENDING
            ).first()
            raise EditWaiting(waiting) from None
    obj = form.save(commit=False)
    if obj.status == Status.REJECTED:
        obj.status = Status.PENDING
    obj._change_reason = f"Edited by {by.email}"
    obj.save()
    form.save_m2m()
    return None


def change_request_form(change: ChangeRequest):
    """The member's edit re-bound to the listing as it is now (validates it again)."""
    data = MultiValueDict(change.proposed)
    # A fresh copy: validating a ModelForm writes the new values onto its instance.
    target = type(change.target).objects.get(pk=change.target.pk)
    # A field added to the form after the edit was made keeps its current value.
    for name in ("languages",):
        if name not in data:
            data.setlist(name, [obj.pk for obj in getattr(target, name).all()])
    if not isinstance(target, Organization):
        data["organization"] = target.organization.slug
    return form_for(target, data, user=change.submitted_by)


def _display(value, target=None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):  # an event's times, in its own zone as its page shows them
        zone = getattr(target, "tz", None)
        return date_format(timezone.localtime(value, zone), "DATETIME_FORMAT")
    if hasattr(value, "all"):
        return ", ".join(str(v) for v in value.all()) or "—"
    if isinstance(value, list | tuple) or (
        hasattr(value, "__iter__") and not isinstance(value, str)
    ):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def change_request_diff(change: ChangeRequest) -> list[dict]:
    """[{field, label, current, proposed}] for the fields the edit changes."""
    form = change_request_form(change)
    form.is_valid()
    rows = []
    for name in form.changed_data:
        if name in SNAPSHOT_SKIP:
            continue
        current = getattr(change.target, name)
        proposed = form.cleaned_data.get(name, form.data.get(name))
        rows.append(
            {"field": name, "label": form.fields[name].label or name.replace("_", " ").capitalize(),
             "current": _display(current, change.target),
             "proposed": _display(proposed, change.target)}
        )  # fmt: skip
    return rows


@transaction.atomic
def change_request_approve(*, change: ChangeRequest, by) -> None:
    """A curator accepts a member's edit: the published listing changes now (with history)."""
    form = change_request_form(change)
    if not form.is_valid():
        raise ValueError(
            _("The edit no longer validates: %(errors)s") % {"errors": form.errors.as_text()}
        )
    obj = form.save(commit=False)
    obj._change_reason = f"Change request #{change.pk} approved by {by}"
    obj.save()
    form.save_m2m()
    change.status, change.decided_by, change.decided_at = Decision.APPROVED, by, timezone.now()
    change.save()


@transaction.atomic
def listing_withdraw(*, by, target) -> None:
    """A member takes their own listing out of the directory (archived, never deleted)."""
    target.status = Status.ARCHIVED
    target._change_reason = f"Withdrawn by {by.email}"
    target.save()


@transaction.atomic
def listing_confirm(*, by, target) -> None:
    """ "Still accurate": the member vouches for the listing as it is."""
    target.last_verified_at = timezone.now()
    target._change_reason = f"Confirmed accurate by {by.email}"
    target.save(update_fields=["last_verified_at", "updated_at"])


def claim_create(*, by, organization: Organization, form, request) -> tuple[ClaimRequest, bool]:
    """Record a claim; for a work address, e-mail it a confirmation link. Returns (claim, sent)."""
    with transaction.atomic():
        claim = form.save(commit=False)
        claim.user, claim.organization = by, organization
        claim.save()
    sent = True
    if claim.evidence == ClaimRequest.Evidence.DOMAIN_EMAIL:
        link = request.build_absolute_uri(reverse("directory:claim-verify", args=[claim.token]))
        sent = send(
            to=claim.work_email,
            subject=gettext_lazy("Confirm your claim of %(organization)s"),
            subject_params={"organization": organization.name},
            template="directory/email/claim_verify.txt",
            context={"claim": claim, "link": link},
            sensitive=True,  # the link proves control of the address
        )  # fmt: skip
    return claim, sent


def claim_verify(*, token: str) -> ClaimRequest | None:
    claim = ClaimRequest.objects.filter(token=token, status=Decision.PENDING).first()
    if claim and claim.email_verified_at is None:
        claim.email_verified_at = timezone.now()
        claim.save(update_fields=["email_verified_at"])
    return claim


@transaction.atomic
def claim_grant(*, claim: ClaimRequest, by) -> None:
    Membership.objects.get_or_create(
        user=claim.user, organization=claim.organization,
        defaults={"role": Membership.Role.OWNER},
    )  # fmt: skip
    claim.status, claim.decided_by, claim.decided_at = Decision.APPROVED, by, timezone.now()
    claim.save()


def invitation_create(
    *, by, organization: Organization, email: str, request
) -> tuple[Invitation, bool]:
    invitation = Invitation.objects.create(organization=organization, email=email, invited_by=by)
    link = request.build_absolute_uri(
        reverse("directory:invitation-accept", args=[invitation.token])
    )
    sent = send(
        to=email,
        subject=gettext_lazy("You are invited to edit %(organization)s"),
        subject_params={"organization": organization.name},
        template="directory/email/invitation.txt",
        context={"invitation": invitation, "link": link},
    )  # fmt: skip
    return invitation, sent


def invitation_revoke(*, by, invitation: Invitation) -> None:
    """An owner takes back an invitation not yet accepted: its link stops working."""
    invitation.delete()


@transaction.atomic
def membership_remove(*, by, membership: Membership) -> None:
    """An owner removes an editor; owners are never removed this way (a curator's job)."""
    if membership.role != Membership.Role.EDITOR:
        raise ValueError("Only editors can be removed by an owner.")
    membership.delete()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=invitation.organization,
        defaults={"role": Membership.Role.EDITOR},
    )  # fmt: skip
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save()
    return membership


@transaction.atomic
def event_create(*, by, form):
    """A new event of one of the member's organizations, pending review."""
    event = form.save(commit=False)
    event.status, event.source, event.submitted_by = Status.PENDING, Source.SELF, by
    listing_save_new(
        event, text=event.title, reason=f"Submitted by {by.email}", save_m2m=form.save_m2m
    )
    return event
