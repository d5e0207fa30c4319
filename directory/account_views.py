"""Pages for organizations' members: register, submit, edit, withdraw, claim, invite, dashboard.

Every object route looks the object up *through the user's memberships*, so guessing a slug or
id of someone else's listing gives a 404, not their data.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from .edit_forms import (
    change_request_diff,
    change_request_initial,
    form_for,
    form_snapshot,
    listing_edit_of,
)
from .forms import (
    ClaimForm,
    InitiativeForm,
    InvitationForm,
    OrganizationForm,
    max_pending_reached,
)
from .models import (
    LISTING_KINDS,
    ChangeRequest,
    ClaimRequest,
    Decision,
    Event,
    Initiative,
    Invitation,
    Membership,
    Organization,
    Status,
)
from .models.participation import member_listing_q
from .participation import (
    EditWaiting,
    claim_create,
    claim_verify,
    event_create,
    initiative_create,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    is_member,
    listing_confirm,
    listing_edit,
    listing_withdraw,
    membership_remove,
    organization_register,
    waiting_change,
)


def write_rate(group, request) -> str:
    return settings.WRITE_RATE


limit_writes = ratelimit(key="user_or_ip", rate=write_rate, method="POST", block=True)


def mail_sender_rate(group, request) -> str:
    return settings.MAIL_RATE_PER_SENDER


#: Forms that e-mail an address someone typed: few per person (or IP) …
limit_mail_senders = ratelimit(key="user_or_ip", rate=mail_sender_rate, method="POST", block=True)


def recipient_limited(request, kind: str, email: str) -> bool:
    """… and few to any one address, whoever asks (counts this one unless over the limit)."""
    return is_ratelimited(
        request, group=f"mail-to:{kind}", key=lambda group, request: email.strip().lower(),
        rate=settings.MAIL_RATE_PER_RECIPIENT, increment=True,
    )  # fmt: skip


def _recipient_refused(form, field: str = "email") -> None:
    form.add_error(
        field,
        _(
            "We have already sent several e-mails to this address today. To protect its owner "
            "from unwanted mail, please try again tomorrow."
        ),
    )


def site_url(request) -> str:
    """The site's address as this request reached it (no trailing slash), for links in e-mail."""
    return request.build_absolute_uri("/").rstrip("/")


def rate_limited(request, exception=None):
    return render(request, "directory/rate_limited.html", status=429)


def my_organizations(user):
    return Organization.objects.filter(memberships__user=user)


def my_initiatives(user):
    return Initiative.objects.filter(organization__memberships__user=user)


def my_listings(model, user):
    """``user``'s listings of one kind (organizations, initiatives or events)."""
    if model is Organization:
        return my_organizations(user)
    return model.objects.filter(organization__memberships__user=user)


def _too_many_pending(request) -> bool:
    if max_pending_reached(request.user):
        limit = settings.MAX_PENDING_PER_ACCOUNT
        messages.error(
            request,
            ngettext(
                "You already have %(count)s item waiting for review. "
                "Please wait for a curator before sending more.",
                "You already have %(count)s items waiting for review. "
                "Please wait for a curator before sending more.",
                limit,
            )
            % {"count": limit},
        )
        return True
    return False


@method_decorator([login_required, limit_writes], name="dispatch")
class OrganizationRegisterView(View):
    template_name = "directory/submit_organization.html"

    def get(self, request):
        return render(request, self.template_name, {"form": OrganizationForm()})

    def post(self, request):
        form = OrganizationForm(request.POST)
        if form.is_valid() and not _too_many_pending(request):
            org = organization_register(by=request.user, edit=listing_edit_of(form))
            messages.success(
                request,
                _(
                    "Thank you. “%(name)s” is waiting for a curator’s review; we will e-mail you "
                    "when it is published. Meanwhile you can add its initiatives."
                )
                % {"name": org.name},
            )
            return redirect("directory:dashboard")
        return render(request, self.template_name, {"form": form}, status=400)


@method_decorator([login_required, limit_writes], name="dispatch")
class InitiativeSubmitView(View):
    """Two steps: the form, then a preview, then "send for review"."""

    template_name = "directory/submit_initiative.html"

    def get(self, request):
        initial = {"organization": request.GET.get("organization")}
        form = InitiativeForm(initial=initial, user=request.user)
        if not form.fields["organization"].queryset.exists():
            messages.info(request, _("First register your organization, or claim its listing."))
            return redirect("directory:submit-organization")
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = InitiativeForm(request.POST, user=request.user)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        if "send" not in request.POST:
            preview = form.save(commit=False)
            return render(
                request, self.template_name,
                {"form": form, "preview": preview,
                 "preview_roles": form.cleaned_data["roles"],
                 "preview_goals": form.cleaned_data["goals"]},
            )  # fmt: skip
        if _too_many_pending(request):
            return render(request, self.template_name, {"form": form}, status=400)
        initiative = initiative_create(by=request.user, edit=listing_edit_of(form))
        messages.success(
            request,
            _(
                "Thank you. “%(title)s” is waiting for a curator’s review; we will e-mail "
                "you when it is published."
            )
            % {"title": initiative.title},
        )
        return redirect("directory:dashboard")


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

    from .models import ModerationDecision

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
        if target.status == Status.PUBLISHED and _too_many_pending(request):
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
            "target": target, "form": form, "is_initiative": isinstance(target, Initiative),
            "waiting": waiting,
            "waiting_is_mine": waiting is not None
            and waiting.submitted_by_id == self.request.user.pk,
        }  # fmt: skip


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
                request, "directory/withdraw_organization.html",
                {"organization": target,
                 "initiatives": target.initiatives.exclude(status=Status.ARCHIVED).count(),
                 "events": target.events.exclude(status=Status.ARCHIVED).count()},
            )  # fmt: skip
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
        request, "directory/change_detail.html",
        {"change": change, "diff": change_request_diff(change)},
    )  # fmt: skip


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
            by=request.user, organization=self.organization, claim=form.save(commit=False),
            base_url=site_url(request),
        )  # fmt: skip
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
            request=self.request, template_name=self.template_name,
            context={"form": form, "organization": self.organization}, status=status,
        )  # fmt: skip


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
    status = 400 if request.method == "POST" else 200
    if (
        request.method == "POST"
        and form.is_valid()
        and recipient_limited(request, "invitation", form.cleaned_data["email"])
    ):
        _recipient_refused(form)
        status = 429
    if request.method == "POST" and form.is_valid():
        invitation, sent = invitation_create(
            by=request.user, organization=organization, email=form.cleaned_data["email"],
            base_url=site_url(request),
        )  # fmt: skip
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
            request, "directory/invitation_accept.html",
            {"invitation": invitation, "expired": True}, status=410,
        )  # fmt: skip
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


@ratelimit(key="ip", rate=write_rate, method="POST", block=True)
def report_problem(request, kind, slug):
    """ "Report a problem" on any public listing; no account needed."""
    from .forms import ReportForm

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


@method_decorator([login_required, limit_writes], name="dispatch")
class EventSubmitView(View):
    template_name = "directory/submit_event.html"

    def get(self, request):
        from .forms import EventForm

        form = EventForm(
            initial={"organization": request.GET.get("organization")}, user=request.user
        )
        if not form.fields["organization"].queryset.exists():
            messages.info(request, _("First register your organization, or claim its listing."))
            return redirect("directory:submit-organization")
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        from .forms import EventForm

        form = EventForm(request.POST, user=request.user)
        if not form.is_valid() or _too_many_pending(request):
            return render(request, self.template_name, {"form": form}, status=400)
        event = event_create(by=request.user, edit=listing_edit_of(form))
        messages.success(
            request,
            _("Thank you. “%(title)s” is waiting for a curator’s review.") % {"title": event.title},
        )
        return redirect("directory:dashboard")


@ratelimit(key="ip", rate=write_rate, method="POST", block=True)
@limit_mail_senders
def alert_subscribe_view(request):
    """ "E-mail me when new matches appear": saves the alert and sends a confirmation link."""
    from .alerts import alert_subscribe
    from .forms import AlertForm

    form = AlertForm(request.POST or None)
    status = 400 if request.method == "POST" else 200
    if (
        request.method == "POST"
        and form.is_valid()
        and recipient_limited(request, "alert", form.cleaned_data["email"])
    ):
        _recipient_refused(form)
        status = 429
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _alert, sent = alert_subscribe(
            email=data["email"], kind=data["kind"], query=data["query"],
            frequency=data["frequency"], base_url=site_url(request),
        )  # fmt: skip
        if sent:
            messages.success(
                request,
                _("Almost done: we sent a confirmation link to %(email)s.")
                % {"email": data["email"]},
            )
        else:
            messages.warning(
                request,
                _(
                    "Your alert is saved, but the confirmation e-mail could not be sent just "
                    "now. We will send it again automatically in a few minutes."
                ),
            )
        name = "directory:event-list" if data["kind"] == "events" else "directory:initiative-list"
        return redirect(reverse(name) + (f"?{data['query']}" if data["query"] else ""))
    return render(request, "directory/alert_subscribe.html", {"form": form}, status=status)


def alert_confirm_view(request, token):
    from .alerts import alert_confirm
    from .models import Alert

    alert = get_object_or_404(Alert, token=token, unsubscribed_at__isnull=True)
    if request.method == "POST":
        alert_confirm(alert)
        messages.success(
            request, _("Your alert is on. We will e-mail you when new matches appear.")
        )
        return redirect(alert.search_url())
    return render(request, "directory/alert_confirm.html", {"alert": alert})


@csrf_exempt  # the token in the address is the secret; mail clients POST without a form (RFC 8058)
def alert_unsubscribe_view(request, token):
    """The link in every alert shows a button; pressing it (or the mail client's one-click
    unsubscribe, a POST) stops the alert at once, without signing in. A GET changes nothing:
    mail scanners follow links."""
    from django.utils import timezone as tz

    from .models import Alert

    alert = get_object_or_404(Alert, token=token)
    if request.method != "POST":
        return render(request, "directory/alert_unsubscribe.html", {"alert": alert})
    if alert.unsubscribed_at is None:
        Alert.objects.filter(pk=alert.pk).update(unsubscribed_at=tz.now())
    return render(request, "directory/alert_unsubscribed.html", {"alert": alert})
