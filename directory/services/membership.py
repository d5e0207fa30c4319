"""What members do with their listings: register, submit, edit, withdraw, claim, invite.

Keyword-only service functions, each one transaction (STYLE.md). Views stay thin.
"""

from collections.abc import Callable
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import (
    ChangeRequest,
    ClaimRequest,
    Decision,
    Event,
    Initiative,
    Invitation,
    Listing,
    Membership,
    Organization,
    Source,
    Status,
)
from directory.services.listings import listing_save_new
from directory.services.notify import send


class ListingEdit(NamedTuple):
    """A listing with new values, not saved yet, and what saves its roles, goals, languages …
    once it is (a ModelForm's ``save(commit=False)`` and ``save_m2m``: ``edit_forms``)."""

    listing: Listing
    save_m2m: Callable[[], None]


def is_member(user, organization: Organization, *, owner: bool = False) -> bool:
    if not user.is_authenticated:
        return False
    members = organization.memberships.filter(user=user)
    if owner:
        members = members.filter(role=Membership.Role.OWNER)
    return members.exists()


def _submit_new(*, by, edit: ListingEdit, reason: str) -> Listing:
    """A member's new listing, pending review, saved with its roles, goals, … (one history row)."""
    listing = edit.listing
    listing.status, listing.source, listing.submitted_by = Status.PENDING, Source.SELF, by
    listing_save_new(listing, text=str(listing), reason=reason, save_m2m=edit.save_m2m)
    return listing


@transaction.atomic
def organization_register(*, by, edit: ListingEdit) -> Organization:
    """A new organization, pending review, with its registrant as owner."""
    org = _submit_new(by=by, edit=edit, reason=f"Registered by {by.email}")
    Membership.objects.create(user=by, organization=org, role=Membership.Role.OWNER)
    return org


@transaction.atomic
def initiative_create(*, by, edit: ListingEdit) -> Initiative:
    """A new initiative of one of the member's organizations, pending review."""
    return _submit_new(by=by, edit=edit, reason=f"Submitted by {by.email}")


@transaction.atomic
def event_create(*, by, edit: ListingEdit) -> Event:
    """A new event of one of the member's organizations, pending review."""
    return _submit_new(by=by, edit=edit, reason=f"Submitted by {by.email}")


def waiting_change(target) -> ChangeRequest | None:
    """The edit to this published listing that waits for a curator, if any (one at most)."""
    return ChangeRequest.objects.filter(
        **{target._meta.model_name: target}, status=Decision.PENDING
    ).first()


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
def listing_edit(*, by, edit: ListingEdit, proposed: dict[str, list[str]]) -> ChangeRequest | None:
    """Apply a member's edit, or hold it for a curator if the listing is published.

    Published: the public keeps seeing the current version; a ChangeRequest holds the edit as
    ``proposed`` (the submitted values, ``edit_forms.form_snapshot``). Pending: edited in place.
    Rejected: edited and sent back for review (status pending).
    """
    target = edit.listing
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
                    **{field: target}, proposed=proposed, submitted_by=by
                )
        except IntegrityError:
            waiting = ChangeRequest.objects.filter(
                **{field: target}, status=Decision.PENDING
            ).first()
            raise EditWaiting(waiting) from None
    if target.status == Status.REJECTED:
        target.status = Status.PENDING
    target._change_reason = f"Edited by {by.email}"
    target.save()
    edit.save_m2m()
    return None


@transaction.atomic
def change_request_approve(*, change: ChangeRequest, by, edit: ListingEdit) -> None:
    """A curator accepts a member's edit (``edit_forms.proposed_edit``): the published listing
    changes now (with history). Curators decide through ``moderation.decide``."""
    obj = edit.listing
    obj._change_reason = f"Change request #{change.pk} approved by {by}"
    obj.save()
    edit.save_m2m()
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


def claim_create(
    *, by, organization: Organization, claim: ClaimRequest, base_url: str
) -> tuple[ClaimRequest, bool]:
    """Record a claim (its evidence, work address and message filled in, not saved yet); for a
    work address, e-mail it a confirmation link (``base_url``: the site's address). Returns
    (claim, sent)."""
    with transaction.atomic():
        claim.user, claim.organization = by, organization
        claim.save()
    sent = True
    if claim.evidence == ClaimRequest.Evidence.DOMAIN_EMAIL:
        link = base_url + reverse("directory:claim-verify", args=[claim.token])
        sent = send(
            to=claim.work_email,
            subject=gettext_lazy("Confirm your claim of %(organization)s"),
            subject_params={"organization": organization.name},
            template="directory/email/claim_verify.txt",
            context={"claim": claim, "link": link},
            sensitive=True,  # the link proves control of the address
        )
    return claim, sent


def claim_verify(*, token: str) -> ClaimRequest | None:
    claim = ClaimRequest.objects.filter(token=token, status=Decision.PENDING).first()
    if claim and claim.email_verified_at is None:
        claim.email_verified_at = timezone.now()
        claim.save(update_fields=["email_verified_at"])
    return claim


def invitation_create(
    *, by, organization: Organization, email: str, base_url: str
) -> tuple[Invitation, bool]:
    """Invite ``email`` to edit; the link starts at ``base_url`` (the site's address)."""
    invitation = Invitation.objects.create(organization=organization, email=email, invited_by=by)
    link = base_url + reverse("directory:invitation-accept", args=[invitation.token])
    sent = send(
        to=email,
        subject=gettext_lazy("You are invited to edit %(organization)s"),
        subject_params={"organization": organization.name},
        template="directory/email/invitation.txt",
        context={"invitation": invitation, "link": link},
    )
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
        user=user,
        organization=invitation.organization,
        defaults={"role": Membership.Role.EDITOR},
    )
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save()
    return membership
