"""Registering an organization and submitting initiatives and events (all wait for a curator)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import slug_re
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View

from directory.forms.listings import InitiativeForm, OrganizationForm
from directory.services.edit_forms import listing_edit_of
from directory.services.membership import event_create, initiative_create, organization_register
from directory.views.limits import limit_writes, too_many_pending


@method_decorator([login_required, limit_writes], name="dispatch")
class OrganizationRegisterView(View):
    template_name = "directory/submit_organization.html"

    def get(self, request):
        return render(request, self.template_name, {"form": OrganizationForm()})

    def post(self, request):
        form = OrganizationForm(request.POST)
        if form.is_valid() and not too_many_pending(request):
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
                request,
                self.template_name,
                {
                    "form": form,
                    "preview": preview,
                    "preview_roles": form.cleaned_data["roles"],
                    "preview_goals": form.cleaned_data["goals"],
                },
            )
        if too_many_pending(request):
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


@method_decorator([login_required, limit_writes], name="dispatch")
class EventSubmitView(View):
    template_name = "directory/submit_event.html"

    def get(self, request):
        from directory.forms.events import EventForm

        # ?organization=<slug> preselects one; anything else in the address is ignored.
        chosen = request.GET.get("organization", "")
        initial = {"organization": chosen} if slug_re.fullmatch(chosen) else {}
        form = EventForm(initial=initial, user=request.user)
        if not form.fields["organization"].queryset.exists():
            messages.info(request, _("First register your organization, or claim its listing."))
            return redirect("directory:submit-organization")
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        from directory.forms.events import EventForm

        form = EventForm(request.POST, user=request.user)
        if not form.is_valid() or too_many_pending(request):
            return render(request, self.template_name, {"form": form}, status=400)
        event = event_create(by=request.user, edit=listing_edit_of(form))
        messages.success(
            request,
            _("Thank you. “%(title)s” is waiting for a curator’s review.") % {"title": event.title},
        )
        return redirect("directory:dashboard")
