"""Saved-search alerts: subscribe, confirm by e-mail, unsubscribe (asks first; RFC 8058 one-click)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.decorators import ratelimit

from directory.views.limits import (
    limit_mail_senders,
    mail_form_status,
    site_url,
    write_rate,
)


@ratelimit(key="ip", rate=write_rate, method="POST", block=True)
@limit_mail_senders
def alert_subscribe_view(request):
    """ "E-mail me when new matches appear": saves the alert and sends a confirmation link."""
    from directory.forms.participation import AlertForm
    from directory.services.alerts import alert_subscribe

    form = AlertForm(request.POST or None)
    status = mail_form_status(request, form, "alert")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _alert, sent = alert_subscribe(
            email=data["email"],
            kind=data["kind"],
            query=data["query"],
            frequency=data["frequency"],
            base_url=site_url(request),
        )
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
    from directory.models import Alert
    from directory.services.alerts import alert_confirm

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

    from directory.models import Alert

    alert = get_object_or_404(Alert, token=token)
    if request.method != "POST":
        return render(request, "directory/alert_unsubscribe.html", {"alert": alert})
    if alert.unsubscribed_at is None:
        Alert.objects.filter(pk=alert.pk).update(unsubscribed_at=tz.now())
    return render(request, "directory/alert_unsubscribed.html", {"alert": alert})
