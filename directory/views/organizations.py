"""An organization's people: claims, invitations, members and their removal (owners only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from directory.forms.participation import ClaimForm, InvitationForm
from directory.models import ClaimRequest, Decision, Invitation, Membership, Organization, Status
from directory.services.membership import (
    claim_create,
    claim_verify,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    is_member,
    membership_remove,
)
from directory.views.limits import (
    limit_mail_senders,
    limit_writes,
    mail_form_status,
    site_url,
)
from directory.views.members import my_organizations


@method_decorator([login_required, limit_writes], name="dispatch")
class ClaimView(View):
    template_name = "directory/claim.html"

    def dispatch(self, request, slug):
        self.organization = get_object_or_404(Organization.objects.published(), slug=slug)
        if self.organization.memberships.exists():
            messages.info(request, _("This organization is already managed by its members."))
            return redirect(self.organization)
        return super().dispatch(request, slug)

    def get(self, request, slug):
        return self._render(ClaimForm(organization=self.organization))

    def post(self, request, slug):
        form = ClaimForm(request.POST, organization=self.organization)
        if ClaimRequest.objects.filter(
            user=request.user, organization=self.organization, status=Decision.PENDING
        ).exists():
            form.add_error(
                None, _("You already asked to manage this organization; a curator will reply.")
            )
        if not form.is_valid():
            return self._render(form, status=400)
        claim, sent = claim_create(
            by=request.user,
            organization=self.organization,
            claim=form.save(commit=False),
            base_url=site_url(request),
        )
        if claim.evidence == ClaimRequest.Evidence.DOMAIN_EMAIL:
            if sent:
                messages.success(
                    request,
                    _("We sent a confirmation link to %(email)s.") % {"email": claim.work_email},
                )
            else:
                messages.warning(
                    request,
                    _(
                        "Your claim is saved, but we could not send the confirmation e-mail just "
                        "now. We will send it again automatically in a few minutes."
                    ),
                )
        else:
            messages.success(request, _("Your claim is with the curators; we will e-mail you."))
        return redirect("directory:dashboard")

    def _render(self, form, status=200):
        return render(
            request=self.request,
            template_name=self.template_name,
            context={"form": form, "organization": self.organization},
            status=status,
        )


def claim_verify_view(request, token):
    """The link in the e-mail shows a button; only pressing it confirms (mail scanners don't)."""
    claim = get_object_or_404(ClaimRequest, token=token, status=Decision.PENDING)
    if request.method != "POST":
        return render(request, "directory/claim_verify.html", {"claim": claim})
    claim_verify(token=token)
    messages.success(
        request,
        _("Thank you: your work e-mail address is confirmed. A curator will review the claim."),
    )
    return redirect(claim.organization)


def _owned_organization(request, slug: str) -> Organization:
    """One of the user's organizations that they own, or 404 (editors too get a 404)."""
    organization = get_object_or_404(my_organizations(request.user), slug=slug)
    if not is_member(request.user, organization, owner=True):
        raise Http404
    return organization


@login_required
@limit_writes
@limit_mail_senders
def invite(request, slug):
    organization = _owned_organization(request, slug)
    if organization.status != Status.PUBLISHED:
        # Until a curator has published it (or after it is rejected), an organization cannot
        # have the site e-mail anybody in its name.
        messages.error(
            request,
            _("You can invite editors once a curator has published %(organization)s.")
            % {"organization": organization.name},
        )
        return redirect("directory:dashboard")
    form = InvitationForm(request.POST or None, organization=organization)
    status = mail_form_status(request, form, "invitation")
    if request.method == "POST" and form.is_valid():
        invitation, sent = invitation_create(
            by=request.user,
            organization=organization,
            email=form.cleaned_data["email"],
            base_url=site_url(request),
        )
        if sent:
            messages.success(
                request, _("We sent an invitation to %(email)s.") % {"email": invitation.email}
            )
        else:
            messages.warning(
                request,
                _(
                    "The invitation is saved, but the e-mail could not be sent just now. We will "
                    "send it again automatically in a few minutes."
                ),
            )
        return redirect("directory:members", slug=organization.slug)
    return render(
        request,
        "directory/invite.html",
        {"form": form, "organization": organization, "expires_days": Invitation.EXPIRES_AFTER.days},
        status=status,
    )


@login_required
def members(request, slug):
    """Owners see who can edit, and the invitations still open; they remove and revoke."""
    organization = _owned_organization(request, slug)
    context = {
        "organization": organization,
        "memberships": organization.memberships.select_related("user").order_by(
            "role", "created_at"
        ),
        "invitations": organization.invitations.open().order_by("created_at"),
    }
    return render(request, "directory/members.html", context)


@require_POST
@login_required
@limit_writes
def membership_remove_view(request, slug, pk):
    organization = _owned_organization(request, slug)
    membership = get_object_or_404(
        organization.memberships.select_related("user"), pk=pk, role=Membership.Role.EDITOR
    )
    membership_remove(by=request.user, membership=membership)
    messages.success(
        request,
        _("%(email)s can no longer edit %(organization)s.")
        % {"email": membership.user.email, "organization": organization.name},
    )
    return redirect("directory:members", slug=organization.slug)


@require_POST
@login_required
@limit_writes
def invitation_revoke_view(request, slug, pk):
    organization = _owned_organization(request, slug)
    invitation = get_object_or_404(organization.invitations.open(), pk=pk)
    invitation_revoke(by=request.user, invitation=invitation)
    messages.success(
        request,
        _("The invitation to %(email)s is revoked; its link no longer works.")
        % {"email": invitation.email},
    )
    return redirect("directory:members", slug=organization.slug)


@login_required
def invitation_accept_view(request, token):
    invitation = get_object_or_404(Invitation, token=token, accepted_at__isnull=True)
    if not Invitation.objects.open().filter(pk=invitation.pk).exists():
        return render(
            request,
            "directory/invitation_accept.html",
            {"invitation": invitation, "expired": True},
            status=410,
        )
    emails = {
        e.lower()
        for e in request.user.emailaddress_set.filter(verified=True).values_list("email", flat=True)
    }
    if invitation.email.lower() not in emails:
        messages.error(
            request,
            _(
                "This invitation is for %(email)s. Sign in with that address (or add and "
                "verify it in your account) to accept it."
            )
            % {"email": invitation.email},
        )
        return redirect("directory:dashboard")
    if request.method == "POST":
        invitation_accept(invitation=invitation, user=request.user)
        messages.success(
            request,
            _("You can now edit the listings of %(organization)s.")
            % {"organization": invitation.organization.name},
        )
        return redirect("directory:dashboard")
    return render(request, "directory/invitation_accept.html", {"invitation": invitation})
